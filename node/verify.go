package node

import (
	"bytes"
	"context"
	"fmt"

	"github.com/ipfs/go-cid"
	mh "github.com/multiformats/go-multihash"
)

// VerifyResult is what VerifyBlocks found.
type VerifyResult struct {
	// Blocks and Bytes count the blocks read and re-hashed.
	Blocks int
	Bytes  int64
	// Corrupt lists blocks whose data no longer matches their hash or
	// that are listed but unreadable (the first maxCorruptListed).
	Corrupt []cid.Cid
}

const maxCorruptListed = 100

// VerifyBlocks reads every block in the repo and checks it against its
// hash, like `ipfs repo verify`: after a crash or a full disk, it tells
// whether stored data survived. It reads the whole store (about as fast
// as the disk and sha256 allow) and changes nothing; GC waits meanwhile.
func (n *Node) VerifyBlocks(ctx context.Context) (VerifyResult, error) {
	defer n.gcLocker.PinLock(ctx).Unlock(ctx)
	var res VerifyResult
	keys, err := n.blockstore.AllKeysChan(ctx)
	if err != nil {
		return res, fmt.Errorf("verify blocks: %w", err)
	}
	for c := range keys {
		blk, err := n.blockstore.Get(ctx, c)
		ok := err == nil
		if ok {
			sum, herr := mh.Sum(blk.RawData(), c.Prefix().MhType, c.Prefix().MhLength)
			ok = herr == nil && bytes.Equal(sum, c.Hash())
			res.Bytes += int64(len(blk.RawData()))
		}
		res.Blocks++
		if !ok && len(res.Corrupt) < maxCorruptListed {
			res.Corrupt = append(res.Corrupt, c)
		}
	}
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("verify blocks: %w", err)
	}
	return res, nil
}
