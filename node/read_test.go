package node

import (
	"bytes"
	"context"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/ipfs/boxo/blockstore"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	"github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"
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
