package node

import (
	"bytes"
	"context"
	"io"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ipfs/boxo/blockstore"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	"github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"
	ma "github.com/multiformats/go-multiaddr"
)

// losingGetter answers every block, except that the first request for
// each one is never answered: a lost want, which real bitswap produces
// only under load and at random.
type losingGetter struct {
	bs   blockstore.Blockstore
	mu   sync.Mutex
	seen map[cid.Cid]bool
}

func (g *losingGetter) GetBlock(ctx context.Context, c cid.Cid) (blocks.Block, error) {
	g.mu.Lock()
	first := !g.seen[c]
	g.seen[c] = true
	g.mu.Unlock()
	if first {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return g.bs.Get(ctx, c)
}

func TestFileAsksAgainWhenABlockStalls(t *testing.T) {
	ctx := context.Background()
	bs := blockstore.NewBlockstore(dssync.MutexWrap(datastore.NewMapDatastore()))
	data, _ := io.ReadAll(newRandomReader(12, 6<<20+9))
	res, err := importFile(ctx, bytes.NewReader(data), bs, importConfig{total: -1, chunkSize: ChunkSize, maxLinks: MaxLinks})
	if err != nil {
		t.Fatal(err)
	}
	g := &losingGetter{bs: bs, seen: map[cid.Cid]bool{}}
	start := time.Now()
	f, err := openFile(ctx, g, res.Cid, StallWait(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatal("bytes differ")
	}
	// Root and 7 leaves, each lost once.
	if st := f.Stats(); st.Retries != 8 {
		t.Fatalf("%d retries, want 8 (every block lost once)", st.Retries)
	}
	t.Logf("read %d bytes in %v despite every first request being lost", len(got), time.Since(start))
}

// After an open or a jump only the leaf under the cursor is asked for; the
// window then doubles with every leaf read in order, up to the read-ahead.
func TestFileWindowStartsSmallAndGrows(t *testing.T) {
	ctx := context.Background()
	seeder, viewer := newTestNode(t), newTestNode(t)
	c := importRandom(t, seeder, 71, 80<<20)
	if err := viewer.Connect(ctx, addrInfoOver(t, seeder, ma.P_TCP)); err != nil {
		t.Fatal(err)
	}
	// Without the delivery cap (TestDeliveryMeterCapsWindowByRate), which
	// on a loaded machine may be below 32 MiB.
	noCap := func(f *File) { f.meter = nil }
	f, err := viewer.Open(ctx, c, ReadAhead(32<<20), noCap)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	inflight := func() int {
		f.mu.Lock()
		defer f.mu.Unlock()
		return len(f.inflight)
	}
	buf := make([]byte, 1)
	if _, err := f.Read(buf); err != nil {
		t.Fatal(err)
	}
	if n := inflight(); n != 0 || f.window != 0 {
		t.Fatalf("after the first byte: %d fetches in flight, window %d; want only the cursor leaf asked for", n, f.window)
	}
	var windows []int64
	for range 8 {
		if _, err := f.Seek(1<<20-1, io.SeekCurrent); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Read(buf); err != nil {
			t.Fatal(err)
		}
		windows = append(windows, f.window>>20)
	}
	want := []int64{1, 2, 4, 8, 16, 32, 32, 32}
	if !slices.Equal(windows, want) {
		t.Fatalf("windows (MiB) while reading in order: %v, want %v", windows, want)
	}
	// A jump starts over.
	if _, err := f.Seek(60<<20, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Read(buf); err != nil {
		t.Fatal(err)
	}
	if f.window != 0 {
		t.Fatalf("after a jump the window is %d, want 0", f.window)
	}
}
