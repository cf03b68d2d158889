package node

import (
	"context"
	"errors"
	"fmt"

	"github.com/ipfs/boxo/ipld/merkledag"
	pin "github.com/ipfs/boxo/pinning/pinner"
	"github.com/ipfs/go-cid"
)

// PinInfo is one entry of the pin set.
type PinInfo struct {
	Cid  cid.Cid
	Mode string // "recursive" or "direct"
}

// Pin fetches the whole DAG under c (from peers when it is not local) and
// pins it recursively, then announces it to the DHT. With PinForSeeding
// the fetch draws from the download cap. A fetch stopped by the disk's
// reserve fails with ErrDiskFull; what it fetched stays, unpinned.
func (n *Node) Pin(ctx context.Context, c cid.Cid, opts ...PinOption) error {
	var o pinOptions
	for _, opt := range opts {
		opt(&o)
	}
	dag, walk := n.dagService(), []merkledag.WalkOption(nil)
	if o.seeding {
		_, dag = n.seedingServices()
		walk = []merkledag.WalkOption{merkledag.Concurrency(seedFetchConcurrency)}
	}
	defer n.gcLocker.PinLock(ctx).Unlock(ctx)
	// The pinner only sees local blocks; fetch the whole DAG first (from
	// peers once online). The pin lock keeps GC off the fresh blocks.
	refused := n.guard.refused.Load()
	if err := merkledag.FetchGraph(ctx, c, dag, walk...); err != nil {
		// The block service logs a refused write and ends the fetch with
		// a generic "failed to fetch all nodes": name the cause.
		if n.guard.refused.Load() > refused && !errors.Is(err, ErrDiskFull) {
			free, _ := n.guard.freeNow()
			err = fmt.Errorf("%w: %d bytes free on the repo's disk, %d kept free (%v)", ErrDiskFull, free, n.guard.reserve, err)
		}
		return fmt.Errorf("pin %s: %w", c, err)
	}
	return n.pinRecursive(ctx, c)
}

// pinRecursive records a recursive pin for a DAG known to be complete
// locally (a fresh import), without walking it again.
func (n *Node) pinRecursive(ctx context.Context, c cid.Cid) error {
	if err := n.pinner.PinWithMode(ctx, c, pin.Recursive, ""); err != nil {
		return fmt.Errorf("pin %s: %w", c, err)
	}
	if err := n.pinner.Flush(ctx); err != nil {
		return fmt.Errorf("pin %s: %w", c, err)
	}
	n.announce(ctx, c)
	return nil
}

// announce queues c for providing when the node is online; offline, the
// reprovider picks pinned roots up at its next run.
func (n *Node) announce(ctx context.Context, c cid.Cid) {
	on := n.net.Load()
	if on == nil {
		return
	}
	if err := on.provider.Provide(ctx, c, true); err != nil {
		n.log.Warn("provide failed", "cid", c, "err", err)
	}
}

// Unpin removes the pin on c; its blocks go at the next GC unless another
// pin holds them.
func (n *Node) Unpin(ctx context.Context, c cid.Cid) error {
	if err := n.pinner.Unpin(ctx, c, true); err != nil {
		return fmt.Errorf("unpin %s: %w", c, err)
	}
	if err := n.pinner.Flush(ctx); err != nil {
		return fmt.Errorf("unpin %s: %w", c, err)
	}
	return nil
}

// Pins lists recursive and direct pins.
func (n *Node) Pins(ctx context.Context) ([]PinInfo, error) {
	var out []PinInfo
	for sp := range n.pinner.RecursiveKeys(ctx, false) {
		if sp.Err != nil {
			return nil, fmt.Errorf("list pins: %w", sp.Err)
		}
		out = append(out, PinInfo{Cid: sp.Pin.Key, Mode: "recursive"})
	}
	for sp := range n.pinner.DirectKeys(ctx, false) {
		if sp.Err != nil {
			return nil, fmt.Errorf("list pins: %w", sp.Err)
		}
		out = append(out, PinInfo{Cid: sp.Pin.Key, Mode: "direct"})
	}
	return out, nil
}

// IsPinned reports whether c is pinned, directly, recursively or as part
// of a recursive pin.
func (n *Node) IsPinned(ctx context.Context, c cid.Cid) (bool, error) {
	_, pinned, err := n.pinner.IsPinned(ctx, c)
	if err != nil {
		return false, fmt.Errorf("is pinned %s: %w", c, err)
	}
	return pinned, nil
}

// pinnedRoots feeds the reprovider: only roots are announced (a video is
// found by its file CID; peers then get the rest from whoever has it).
func (n *Node) pinnedRoots(ctx context.Context) (<-chan cid.Cid, error) {
	out := make(chan cid.Cid)
	go func() {
		defer close(out)
		for _, ch := range []<-chan pin.StreamedPin{n.pinner.RecursiveKeys(ctx, false), n.pinner.DirectKeys(ctx, false)} {
			for sp := range ch {
				if sp.Err != nil {
					n.log.Warn("listing pins for reprovide", "err", sp.Err)
					return
				}
				select {
				case out <- sp.Pin.Key:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
}
