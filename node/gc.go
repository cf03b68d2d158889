package node

import (
	"context"
	"fmt"

	"github.com/ipfs/boxo/ipld/merkledag"
	"github.com/ipfs/go-cid"
)

// GCResult reports what a garbage collection removed.
type GCResult struct {
	BlocksRemoved int
	BytesRemoved  int64
}

// GC deletes every block not reachable from a pin, then has Badger reclaim
// the freed space. Pinned DAGs are walked locally only: a pinned DAG with
// missing blocks keeps what it has.
func (n *Node) GC(ctx context.Context) (GCResult, error) {
	defer n.gcLocker.GCLock(ctx).Unlock(ctx)
	live, err := n.liveSet(ctx)
	if err != nil {
		return GCResult{}, fmt.Errorf("gc: %w", err)
	}
	keys, err := n.blockstore.AllKeysChan(ctx)
	if err != nil {
		return GCResult{}, fmt.Errorf("gc: %w", err)
	}
	var dead []cid.Cid
	for c := range keys {
		if _, ok := live[string(c.Hash())]; !ok {
			dead = append(dead, c)
		}
	}
	if ctx.Err() != nil {
		return GCResult{}, fmt.Errorf("gc: %w", ctx.Err())
	}
	res, err := n.removeBlocks(ctx, dead)
	if err != nil {
		return res, fmt.Errorf("gc: %w", err)
	}
	n.log.Info("gc done", "blocks", res.BlocksRemoved, "bytes", res.BytesRemoved)
	return res, nil
}

// removeBlocks deletes blocks (those already gone are skipped) and has
// Badger reclaim the space they took.
func (n *Node) removeBlocks(ctx context.Context, dead []cid.Cid) (GCResult, error) {
	var res GCResult
	for _, c := range dead {
		size, err := n.blockstore.GetSize(ctx, c)
		if err != nil {
			continue // gone already, or never stored
		}
		if err := n.blockstore.DeleteBlock(ctx, c); err != nil {
			return res, fmt.Errorf("delete %s: %w", c, err)
		}
		res.BlocksRemoved++
		res.BytesRemoved += int64(size)
	}
	if res.BlocksRemoved > 0 {
		if err := reclaimSpace(ctx, n.ds.DB, n.guard.freeNow); err != nil {
			return res, fmt.Errorf("reclaim: %w", err)
		}
	}
	return res, nil
}

// Evict deletes the locally stored blocks of the DAGs under roots that no
// pin keeps, then reclaims the space: "remove this video from my disk"
// without touching other cached videos, which GC would delete too. Roots
// that are pinned, or blocks another pinned DAG shares, stay. On a disk
// too full to rewrite Badger's files safely the blocks are deleted but
// their space stays taken, and Evict fails with ErrDiskFull; a later GC or
// Evict with more room gives it back.
func (n *Node) Evict(ctx context.Context, roots ...cid.Cid) (GCResult, error) {
	defer n.gcLocker.GCLock(ctx).Unlock(ctx)
	live, err := n.liveSet(ctx)
	if err != nil {
		return GCResult{}, fmt.Errorf("evict: %w", err)
	}
	under := map[string]struct{}{}
	for _, root := range roots {
		if err := n.walkLocal(ctx, root, under); err != nil {
			return GCResult{}, fmt.Errorf("evict %s: %w", root, err)
		}
	}
	var dead []cid.Cid
	for key := range under {
		if _, keep := live[key]; !keep {
			// The blockstore is keyed by multihash; any CID version
			// reaches the block.
			dead = append(dead, cid.NewCidV1(cid.Raw, []byte(key)))
		}
	}
	res, err := n.removeBlocks(ctx, dead)
	if err != nil {
		return res, fmt.Errorf("evict: %w", err)
	}
	n.log.Info("evicted", "roots", len(roots), "blocks", res.BlocksRemoved, "bytes", res.BytesRemoved)
	return res, nil
}

// liveSet returns the multihashes (the blockstore's keys) of every block
// under a pin.
func (n *Node) liveSet(ctx context.Context) (map[string]struct{}, error) {
	live := map[string]struct{}{}
	pins, err := n.Pins(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range pins {
		if p.Mode == "direct" {
			live[string(p.Cid.Hash())] = struct{}{}
			continue
		}
		if err := n.walkLocal(ctx, p.Cid, live); err != nil {
			return nil, err
		}
	}
	return live, nil
}

// walkLocal marks c and everything below it that is stored locally. Raw
// blocks have no links and are never read, so walking a 1 GiB file reads
// only its few internal nodes.
func (n *Node) walkLocal(ctx context.Context, c cid.Cid, live map[string]struct{}) error {
	key := string(c.Hash())
	if _, seen := live[key]; seen {
		return nil
	}
	live[key] = struct{}{}
	if c.Type() == cid.Raw || c.Prefix().MhType == 0 /* identity */ {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	blk, err := n.blockstore.Get(ctx, c)
	if err != nil {
		n.log.Warn("gc: pinned block missing locally", "cid", c, "err", err)
		return nil
	}
	if c.Type() != cid.DagProtobuf {
		n.log.Warn("gc: keeping block of unknown codec without walking it", "cid", c)
		return nil
	}
	nd, err := merkledag.DecodeProtobuf(blk.RawData())
	if err != nil {
		return fmt.Errorf("decode %s: %w", c, err)
	}
	for _, l := range nd.Links() {
		if err := n.walkLocal(ctx, l.Cid, live); err != nil {
			return err
		}
	}
	return nil
}
