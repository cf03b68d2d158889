package node

import (
	"context"
	"fmt"
	"io"

	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
)

// MaxFileDepth bounds how deep WalkFile (and a receiver checking its
// blocks) follows a file's DAG: a balanced file of 1024 links per node is
// 4 levels deep at 1 TiB, so 64 is only ever reached by a hostile DAG.
const MaxFileDepth = 64

// WalkFile calls emit with every block of the UnixFS file c in depth-first
// order: a node before its children, children in link order, a block as
// often as the DAG links it. That is the order of a CAR of the file, so a
// receiver can check each block against the link that named it as blocks
// arrive, and write a file's bytes only once they are verified (the app's
// control API sends `cat` that way).
//
// A File reads the file along with the walk, so blocks are fetched with
// Open's read-ahead rather than one round trip at a time.
func (n *Node) WalkFile(ctx context.Context, c cid.Cid, emit func(blocks.Block) error) error {
	f, err := n.Open(ctx, c)
	if err != nil {
		return fmt.Errorf("walk file: %w", err)
	}
	defer f.Close()
	w := fileWalker{get: n.blockService(), ahead: f, emit: emit}
	if err := w.walk(ctx, c, f.Size(), 0); err != nil {
		return fmt.Errorf("walk file %s: %w", c, err)
	}
	return nil
}

type fileWalker struct {
	get blockGetter
	// ahead is a File kept at the walk's byte offset: reading it over a
	// leaf fetches that leaf and keeps the next ones in flight. nil once
	// it failed; the walk then fetches on its own.
	ahead *File
	emit  func(blocks.Block) error
}

// walk emits c and what it links; size is the bytes the parent says c
// holds.
func (w *fileWalker) walk(ctx context.Context, c cid.Cid, size int64, depth int) error {
	if depth > MaxFileDepth {
		return fmt.Errorf("deeper than %d levels", MaxFileDepth)
	}
	if c.Type() == cid.Raw {
		w.readAlong(size)
		if blk := w.leafRead(c); blk != nil {
			return w.emit(blk)
		}
	}
	blk, err := w.get.GetBlock(ctx, c)
	if err != nil {
		return err
	}
	if err := w.emit(blk); err != nil {
		return err
	}
	if c.Type() != cid.DagProtobuf {
		return nil
	}
	info, _, err := decodeFileNode(blk)
	if err != nil {
		return fmt.Errorf("%s: %w", c, err)
	}
	w.readAlong(int64(len(info.data)))
	for _, ch := range info.children {
		if err := w.walk(ctx, ch.cid, ch.size, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// leafRead is raw leaf c as the File just read it, sparing a second read
// of the block from the store; nil when the File holds another leaf.
func (w *fileWalker) leafRead(c cid.Cid) blocks.Block {
	if w.ahead == nil || w.ahead.cur == nil || !w.ahead.cur.ref.cid.Equals(c) || w.ahead.cur.ref.inline != nil {
		return nil
	}
	// The bytes came from a block the block service checked against c.
	blk, err := blocks.NewBlockWithCid(w.ahead.cur.data, c)
	if err != nil {
		return nil
	}
	return blk
}

// readAlong moves the File over the next n bytes of the file.
func (w *fileWalker) readAlong(n int64) {
	if w.ahead == nil || n <= 0 {
		return
	}
	if _, err := io.CopyN(io.Discard, w.ahead, n); err != nil {
		w.ahead = nil
	}
}
