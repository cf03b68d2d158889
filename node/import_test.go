package node

import (
	"bytes"
	"context"
	"math/rand/v2"
	"testing"

	"github.com/ipfs/boxo/blockservice"
	"github.com/ipfs/boxo/blockstore"
	chunker "github.com/ipfs/boxo/chunker"
	"github.com/ipfs/boxo/exchange/offline"
	"github.com/ipfs/boxo/ipld/merkledag"
	"github.com/ipfs/boxo/ipld/unixfs/importer/balanced"
	h "github.com/ipfs/boxo/ipld/unixfs/importer/helpers"
	"github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"
)

// boxoImport is the reference: boxo's own balanced importer with the same
// layout parameters.
func boxoImport(t *testing.T, data []byte, chunkSize, maxLinks int) string {
	t.Helper()
	bs := blockstore.NewBlockstore(dssync.MutexWrap(datastore.NewMapDatastore()))
	dag := merkledag.NewDAGService(blockservice.New(bs, offline.Exchange(bs)))
	params := h.DagBuilderParams{Dagserv: dag, Maxlinks: maxLinks, RawLeaves: true, CidBuilder: dagPBPrefix}
	db, err := params.New(chunker.NewSizeSplitter(bytes.NewReader(data), int64(chunkSize)))
	if err != nil {
		t.Fatal(err)
	}
	nd, err := balanced.Layout(db)
	if err != nil {
		t.Fatal(err)
	}
	return nd.Cid().String()
}

// TestImportMatchesBoxoBalancedLayout builds deep trees from little data
// (tiny chunks, fan-out 3) at every size around the level boundaries, where
// a streaming builder is most likely to differ from boxo's recursive one.
func TestImportMatchesBoxoBalancedLayout(t *testing.T) {
	const chunkSz, fanout = 4, 3
	rng := rand.New(rand.NewPCG(1, 2))
	for size := 0; size <= chunkSz*(fanout*fanout*fanout+2)+1; size++ {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		want := boxoImport(t, data, chunkSz, fanout)
		bs := blockstore.NewBlockstore(dssync.MutexWrap(datastore.NewMapDatastore()))
		res, err := importFile(context.Background(), bytes.NewReader(data), bs,
			importConfig{total: -1, chunkSize: chunkSz, maxLinks: fanout})
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if res.Cid.String() != want || res.Size != int64(size) {
			t.Fatalf("size %d: got %s (%d bytes), boxo gives %s", size, res.Cid, res.Size, want)
		}
	}
}
