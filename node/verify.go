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
	// Bad counts the blocks that failed; Corrupt lists the first
	// maxCorruptListed of them (data that no longer matches its hash, or
	// listed but unreadable).
	Bad     int
	Corrupt []cid.Cid
	// Removed counts the bad blocks VerifyRepair dropped.
	Removed int
}

const maxCorruptListed = 100

// BadBlock is a stored block that failed verification.
type BadBlock struct {
	Cid cid.Cid
	// Reason says why: its data does not match its hash, or it cannot be
	// read.
	Reason string
	// Removed: VerifyRepair dropped it. RemoveErr: it tried and failed.
	Removed   bool
	RemoveErr error
}

// VerifyOption tunes VerifyBlocks.
type VerifyOption func(*verifyOptions)

type verifyOptions struct {
	repair bool
	report func(BadBlock)
}

// VerifyRepair drops every bad block, so a read asks peers for it again
// (a pinned file stays pinned and is whole again once read or pinned
// anew).
func VerifyRepair() VerifyOption { return func(o *verifyOptions) { o.repair = true } }

// VerifyReport calls f for each bad block as it is found (after the
// repair, with VerifyRepair).
func VerifyReport(f func(BadBlock)) VerifyOption {
	return func(o *verifyOptions) { o.report = f }
}

// VerifyBlocks reads every block in the repo and checks it against its
// hash, like `ipfs repo verify`: after a crash, a full disk or a failing
// disk, it tells whether stored data survived. It streams the store one
// block at a time (blocks are at most 2 MiB, so memory stays flat), about
// as fast as the disk and sha256 allow, and changes nothing unless
// VerifyRepair is given; GC waits meanwhile.
func (n *Node) VerifyBlocks(ctx context.Context, opts ...VerifyOption) (VerifyResult, error) {
	var o verifyOptions
	for _, opt := range opts {
		opt(&o)
	}
	defer n.gcLocker.PinLock(ctx).Unlock(ctx)
	var res VerifyResult
	keys, err := n.blockstore.AllKeysChan(ctx)
	if err != nil {
		return res, fmt.Errorf("verify blocks: %w", err)
	}
	for c := range keys {
		if ctx.Err() != nil {
			break // every read would fail now: not the blocks' fault
		}
		res.Blocks++
		size, reason := n.verifyBlock(ctx, c)
		res.Bytes += size
		if reason == "" {
			continue
		}
		res.Bad++
		if len(res.Corrupt) < maxCorruptListed {
			res.Corrupt = append(res.Corrupt, c)
		}
		bad := BadBlock{Cid: c, Reason: reason}
		if o.repair {
			if bad.RemoveErr = n.blockstore.DeleteBlock(ctx, c); bad.RemoveErr == nil {
				bad.Removed = true
				res.Removed++
			}
		}
		n.log.Warn("verify: bad block", "cid", c, "reason", reason, "removed", bad.Removed, "err", bad.RemoveErr)
		if o.report != nil {
			o.report(bad)
		}
	}
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("verify blocks: %w", err)
	}
	return res, nil
}

// verifyBlock re-hashes one stored block: its size, and why it is bad
// ("" when it is intact).
func (n *Node) verifyBlock(ctx context.Context, c cid.Cid) (int64, string) {
	blk, err := n.blockstore.Get(ctx, c)
	if err != nil {
		return 0, fmt.Sprintf("unreadable: %v", err)
	}
	data := blk.RawData()
	pref := c.Prefix()
	sum, err := mh.Sum(data, pref.MhType, pref.MhLength)
	if err != nil {
		return int64(len(data)), fmt.Sprintf("cannot hash: %v", err)
	}
	if !bytes.Equal(sum, c.Hash()) {
		// Badger truncates a damaged newest value-log file when it opens
		// and then hands out empty values for what was cut: 0 bytes here.
		return int64(len(data)), fmt.Sprintf("data does not match its hash (%d bytes read)", len(data))
	}
	return int64(len(data)), ""
}
