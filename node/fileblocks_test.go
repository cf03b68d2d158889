package node

import (
	"bytes"
	"context"
	"crypto/rand"
	"testing"

	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
)

// WalkFile emits every block of a file depth-first, a repeated leaf each
// time it is linked, and the leaves' bytes make the file.
func TestWalkFileDepthFirst(t *testing.T) {
	n := newTestNode(t)
	ctx := context.Background()
	// Two identical zero chunks, then a random one and a tail: a
	// repeated leaf and a short last one; a small layout makes the DAG
	// three levels deep.
	tail := make([]byte, 1024+17)
	rand.Read(tail)
	data := append(make([]byte, 2*1024), tail...)
	res, err := n.Import(ctx, bytes.NewReader(data), importLayout(1024, 2))
	if err != nil {
		t.Fatal(err)
	}
	var got []byte
	var seen []cid.Cid
	err = n.WalkFile(ctx, res.Cid, func(b blocks.Block) error {
		seen = append(seen, b.Cid())
		if b.Cid().Type() == cid.Raw {
			got = append(got, b.RawData()...)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("leaves in walk order make %d bytes, not the file's %d", len(got), len(data))
	}
	if !seen[0].Equals(res.Cid) {
		t.Fatalf("first block %s, want the root %s", seen[0], res.Cid)
	}
	// 4 leaves (one twice), 2 nodes above pairs, 1 root above those.
	if len(seen) != 7 {
		t.Fatalf("%d blocks emitted, want 7", len(seen))
	}
}
