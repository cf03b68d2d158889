package node

import (
	"context"
	"errors"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/ipfs/boxo/ipld/merkledag"
	ft "github.com/ipfs/boxo/ipld/unixfs"
	"github.com/ipfs/go-cid"
	ipld "github.com/ipfs/go-ipld-format"
)

// craftedFile stores on n a dag-pb file node linking once per block size
// to one small leaf and claiming the given block sizes.
func craftedFile(t *testing.T, n *Node, sizes ...uint64) cid.Cid {
	t.Helper()
	leaf := importBytes(t, n, []byte("a leaf"))
	fsn := ft.NewFSNode(ft.TFile)
	nd := merkledag.NodeWithData(nil)
	for _, s := range sizes {
		fsn.AddBlockSize(s)
		if err := nd.AddRawLink("", &ipld.Link{Cid: leaf, Size: 6}); err != nil {
			t.Fatal(err)
		}
	}
	data, err := fsn.GetBytes()
	if err != nil {
		t.Fatal(err)
	}
	nd.SetData(data)
	if err := n.offlineDAG.Add(context.Background(), nd); err != nil {
		t.Fatal(err)
	}
	return nd.Cid()
}

// TestFileSizeOverflow: block sizes that add up past 2^63-1, or one that
// is past it alone, made a file of negative length, which read as empty
// (cat printed nothing and exited 0). Opening one must fail instead.
func TestFileSizeOverflow(t *testing.T) {
	n := newTestNode(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		sizes []uint64
	}{
		{"one size past 2^63", []uint64{1 << 63}},
		{"sum past 2^63", []uint64{1 << 62, 1 << 62}},
		{"sum wraps past 2^64", []uint64{math.MaxUint64 - 2, 6}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := craftedFile(t, n, tc.sizes...)
			f, err := n.Open(ctx, c)
			if err == nil {
				got, rerr := io.ReadAll(f)
				f.Close()
				t.Fatalf("Open: a file of %d bytes (read %d, %v), want an error", f.Size(), len(got), rerr)
			}
			if !errors.Is(err, ErrCorruptFile) {
				t.Fatalf("Open: %v, want ErrCorruptFile", err)
			}
			t.Logf("Open: %v", err)
			if v, err := n.ResolveVideo(ctx, c); !errors.Is(err, ErrCorruptFile) {
				t.Fatalf("ResolveVideo: %+v, %v; want ErrCorruptFile", v, err)
			}
		})
	}
	// The largest sizes that still fit open, and say so.
	c := craftedFile(t, n, math.MaxInt64-6, 6)
	f, err := n.Open(ctx, c)
	if err != nil {
		t.Fatalf("block sizes adding up to 2^63-1: %v", err)
	}
	defer f.Close()
	if f.Size() != math.MaxInt64 {
		t.Fatalf("size %d, want %d", f.Size(), int64(math.MaxInt64))
	}
}

// TestGatewayRefusesOverflowingFile: the gateway answers such a file with
// an error, not an empty 200 (nor hands it to boxo's reader).
func TestGatewayRefusesOverflowingFile(t *testing.T) {
	p := newGatewayPair(t)
	c := craftedFile(t, p.viewer, 1<<62, 1<<62)
	resp, body := p.do(t, "GET", p.gw.URL(c), "")
	t.Logf("%s: %q", resp.Status, body)
	if resp.StatusCode != 502 || !strings.Contains(string(body), ErrCorruptFile.Error()) {
		t.Fatalf("%s %q, want 502 naming %q", resp.Status, body, ErrCorruptFile)
	}
}
