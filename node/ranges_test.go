package node

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	ma "github.com/multiformats/go-multiaddr"
)

func TestLocalRangesBeforeAndAfterPartialRead(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	seeder, viewer := newTestNode(t), newTestNode(t)
	size := int64(10<<20 + 777)
	c := importRandom(t, seeder, 50, size)
	if got, err := seeder.LocalRanges(ctx, c); err != nil || !slices.Equal(got, []ByteRange{{0, size}}) {
		t.Fatalf("seeder's ranges %v, %v; want the whole file", got, err)
	}
	if err := viewer.Connect(ctx, addrInfoOver(t, seeder, ma.P_TCP)); err != nil {
		t.Fatal(err)
	}
	if got, err := viewer.LocalRanges(ctx, c); err != nil || len(got) != 0 {
		t.Fatalf("ranges before any read: %v, %v; want none", got, err)
	}

	f, err := viewer.Open(ctx, c, ReadAhead(0))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// Two bytes in leaf 2, ten at the end of leaf 3 running into leaf 4,
	// and the last few bytes (the short last leaf).
	for _, at := range []struct{ off, n int64 }{{2<<20 + 5, 2}, {4<<20 - 5, 10}, {size - 3, 3}} {
		if _, err := f.ReadAt(make([]byte, at.n), at.off); err != nil {
			t.Fatal(err)
		}
	}
	got, err := viewer.LocalRanges(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	want := []ByteRange{{2 << 20, 5 << 20}, {10 << 20, size}}
	if !slices.Equal(got, want) {
		t.Fatalf("ranges after partial reads: %v, want %v", got, want)
	}
	if st := f.Stats(); st.BlocksFetched != 4 || st.BytesFromPeers != 3<<20+777 || st.BytesLocal != 0 {
		t.Fatalf("stats %+v, want 4 leaves all from the peer", st)
	}

	// Read again: now every leaf is local.
	f2, err := viewer.Open(ctx, c, ReadAhead(0))
	if err != nil {
		t.Fatal(err)
	}
	defer f2.Close()
	if _, err := f2.ReadAt(make([]byte, 10), 4<<20-5); err != nil {
		t.Fatal(err)
	}
	if st := f2.Stats(); st.BytesLocal != 2<<20 || st.BytesFromPeers != 0 {
		t.Fatalf("second read stats %+v, want 2 MiB local, nothing from peers", st)
	}
}

// TestLocalRangesMissingInternalNode: in a deep tree, an internal node
// that is not local hides its whole span, even when leaves under it are.
func TestLocalRangesMissingInternalNode(t *testing.T) {
	ctx := context.Background()
	n := newTestNode(t)
	// 1 KiB leaves, 4 links per node: 64 KiB makes a tree 3 levels deep.
	const chunk, size = 1 << 10, 64 << 10
	data, _ := io.ReadAll(newRandomReader(51, size))
	res, err := n.Import(ctx, bytes.NewReader(data), importLayout(chunk, 4))
	if err != nil {
		t.Fatal(err)
	}
	root, err := n.blockstore.Get(ctx, res.Cid)
	if err != nil {
		t.Fatal(err)
	}
	info, _, err := decodeFileNode(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(info.children) != 4 || info.children[1].cid.Type() != cid.DagProtobuf {
		t.Fatalf("unexpected tree: %d children", len(info.children))
	}
	// Drop the root's second child (an internal node: bytes 16–32 KiB)
	// and one leaf under the third child.
	second := info.children[1]
	if err := n.blockstore.DeleteBlock(ctx, second.cid); err != nil {
		t.Fatal(err)
	}
	thirdBlk, err := n.blockstore.Get(ctx, info.children[2].cid)
	if err != nil {
		t.Fatal(err)
	}
	third, _, err := decodeFileNode(thirdBlk)
	if err != nil {
		t.Fatal(err)
	}
	// The third child's first grandchild is itself internal (4 KiB of
	// leaves); drop the first leaf under it.
	g0Blk, err := n.blockstore.Get(ctx, third.children[0].cid)
	if err != nil {
		t.Fatal(err)
	}
	g0, _, err := decodeFileNode(g0Blk)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.blockstore.DeleteBlock(ctx, g0.children[0].cid); err != nil {
		t.Fatal(err)
	}
	got, err := n.LocalRanges(ctx, res.Cid)
	if err != nil {
		t.Fatal(err)
	}
	want := []ByteRange{{0, 16 << 10}, {32<<10 + chunk, size}}
	if !slices.Equal(got, want) {
		t.Fatalf("ranges %v, want %v", got, want)
	}
}

// TestGatewayRangeEdges: ranges at the edges of what a Range header can
// say, through the real loopback gateway. An end past the file (even
// the largest int64) is clamped to the last byte; a suffix of length 0
// selects nothing, so a range set of only those is unsatisfiable (RFC
// 9110 §14.1.1) and gets 416, not a 206 with an impossible
// Content-Range; unsatisfiable parts of a set with a satisfiable one are
// dropped.
func TestGatewayRangeEdges(t *testing.T) {
	p := newGatewayPair(t)
	size := int64(3<<20 + 777)
	data, _ := io.ReadAll(newRandomReader(61, size))
	c := importBytes(t, p.seeder, data)
	url := p.gw.URL(c)
	for _, tc := range []struct {
		header string
		start  int64 // -1: 416
		end    int64 // exclusive
	}{
		{"bytes=0-9223372036854775807", 0, size},
		{"bytes=1000-9223372036854775806", 1000, size},
		{"bytes=9223372036854775807-", -1, 0},
		{"bytes=-9223372036854775807", 0, size},
		{"bytes=-0", -1, 0},
		{"bytes=-0,-0", -1, 0},
		{"bytes=-0,10-19", 10, 20},
		{"bytes=-0, 5000000-", -1, 0},
	} {
		resp, body := p.do(t, "GET", url, tc.header)
		if tc.start < 0 {
			if resp.StatusCode != http.StatusRequestedRangeNotSatisfiable {
				t.Errorf("%s: %s, Content-Range %q, %d bytes; want 416", tc.header, resp.Status, resp.Header.Get("Content-Range"), len(body))
			}
			continue
		}
		wantRange := fmt.Sprintf("bytes %d-%d/%d", tc.start, tc.end-1, size)
		if resp.StatusCode != http.StatusPartialContent || resp.Header.Get("Content-Range") != wantRange ||
			!bytes.Equal(body, data[tc.start:tc.end]) {
			t.Errorf("%s: %s, Content-Range %q, %d bytes (equal %v); want 206, %q, %d bytes", tc.header, resp.Status,
				resp.Header.Get("Content-Range"), len(body), bytes.Equal(body, data[tc.start:min(tc.end, int64(len(data)))]), wantRange, tc.end-tc.start)
		}
	}
	// HEAD answers the same.
	if resp, _ := p.do(t, "HEAD", url, "bytes=-0"); resp.StatusCode != http.StatusRequestedRangeNotSatisfiable {
		t.Errorf("HEAD bytes=-0: %s, want 416", resp.Status)
	}
}
