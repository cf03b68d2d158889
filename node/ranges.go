package node

import (
	"context"
	"fmt"

	"github.com/ipfs/go-cid"
	ipld "github.com/ipfs/go-ipld-format"
)

// ByteRange is the half-open span [Start, End) of a file's bytes.
type ByteRange struct {
	Start, End int64
}

// LocalRanges lists which bytes of the UnixFS file c are in the local
// blockstore, in order, adjacent leaves merged: what a seek bar shades as
// cached. It asks no peer: an internal node that is not local hides its
// children, so its whole span counts as missing. A root that is not local
// gives no ranges.
func (n *Node) LocalRanges(ctx context.Context, c cid.Cid) ([]ByteRange, error) {
	blk, err := n.blockstore.Get(ctx, c)
	switch {
	case ipld.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("local ranges %s: %w", c, err)
	}
	if c.Type() == cid.Raw {
		return []ByteRange{{0, int64(len(blk.RawData()))}}, nil
	}
	info, _, err := decodeFileNode(blk)
	if err != nil {
		return nil, fmt.Errorf("local ranges %s: %w", c, err)
	}
	var out []ByteRange
	if err := n.collectLocal(ctx, info, 0, &out); err != nil {
		return nil, fmt.Errorf("local ranges %s: %w", c, err)
	}
	return out, nil
}

// collectLocal appends the local spans below one file node starting at
// base. Children come in file order, so merging with the last span is
// enough.
func (n *Node) collectLocal(ctx context.Context, info *fileNodeInfo, base int64, out *[]ByteRange) error {
	add := func(start, end int64) {
		if k := len(*out); k > 0 && (*out)[k-1].End == start {
			(*out)[k-1].End = end
			return
		}
		*out = append(*out, ByteRange{start, end})
	}
	if len(info.data) > 0 {
		add(base, base+int64(len(info.data)))
	}
	for _, ch := range info.children {
		if err := ctx.Err(); err != nil {
			return err
		}
		start := base + ch.off
		if ch.size == 0 {
			continue
		}
		if ch.cid.Type() == cid.Raw {
			has, err := n.blockstore.Has(ctx, ch.cid)
			if err != nil {
				return err
			}
			if has {
				add(start, start+ch.size)
			}
			continue
		}
		// A dag-pb child is an internal node or a leaf with inline data;
		// only its content says which.
		blk, err := n.blockstore.Get(ctx, ch.cid)
		if ipld.IsNotFound(err) {
			continue
		}
		if err != nil {
			return err
		}
		cinfo, _, err := decodeFileNode(blk)
		if err != nil {
			return fmt.Errorf("node %s: %w", ch.cid, err)
		}
		if err := n.collectLocal(ctx, cinfo, start, out); err != nil {
			return err
		}
	}
	return nil
}
