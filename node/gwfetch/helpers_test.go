package gwfetch

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipfs-tube/ipfs-tube/internal/syncbuf"
	"github.com/ipfs/boxo/blockservice"
	"github.com/ipfs/boxo/blockstore"
	chunker "github.com/ipfs/boxo/chunker"
	"github.com/ipfs/boxo/exchange/offline"
	boxogw "github.com/ipfs/boxo/gateway"
	"github.com/ipfs/boxo/ipld/merkledag"
	"github.com/ipfs/boxo/ipld/unixfs/importer/balanced"
	"github.com/ipfs/boxo/ipld/unixfs/importer/helpers"
	"github.com/ipfs/go-cid"
	ds "github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"
	"github.com/multiformats/go-multihash"
	"github.com/prometheus/client_golang/prometheus"
)

// content is a file imported the way the node imports (1 MiB raw leaves,
// CIDv1, balanced DAG) into an in-memory blockstore.
type content struct {
	store  blockstore.Blockstore
	root   cid.Cid
	leaves []cid.Cid // in file order
	blocks map[cid.Cid][]byte
}

func importRandom(t testing.TB, size int, seed uint64) *content {
	t.Helper()
	data := make([]byte, size)
	rng := rand.New(rand.NewPCG(seed, seed+1))
	for i := 0; i+8 <= len(data); i += 8 {
		v := rng.Uint64()
		for j := range 8 {
			data[i+j] = byte(v >> (8 * j))
		}
	}
	bs := blockstore.NewIdStore(blockstore.NewBlockstore(dssync.MutexWrap(ds.NewMapDatastore())))
	dag := merkledag.NewDAGService(blockservice.New(bs, offline.Exchange(bs)))
	params := helpers.DagBuilderParams{
		Maxlinks:   1024,
		RawLeaves:  true,
		CidBuilder: cid.V1Builder{Codec: cid.DagProtobuf, MhType: multihash.SHA2_256},
		Dagserv:    dag,
	}
	db, err := params.New(chunker.NewSizeSplitter(bytes.NewReader(data), 1<<20))
	if err != nil {
		t.Fatal(err)
	}
	nd, err := balanced.Layout(db)
	if err != nil {
		t.Fatal(err)
	}
	c := &content{store: bs, root: nd.Cid(), blocks: map[cid.Cid][]byte{}}
	for _, l := range nd.Links() {
		c.leaves = append(c.leaves, l.Cid)
	}
	ctx := context.Background()
	for _, k := range append([]cid.Cid{c.root}, c.leaves...) {
		b, err := bs.Get(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		c.blocks[k] = b.RawData()
	}
	if len(c.leaves) != (size+(1<<20)-1)>>20 || len(c.blocks) != len(c.leaves)+1 {
		t.Fatalf("import: %d leaves, %d blocks for %d bytes", len(c.leaves), len(c.blocks), size)
	}
	return c
}

// gatewayHandler is boxo's real gateway over the content's blockstore.
func gatewayHandler(c *content) http.Handler {
	backend, err := boxogw.NewBlocksBackend(blockservice.New(c.store, offline.Exchange(c.store)))
	if err != nil {
		panic(err)
	}
	return boxogw.NewHandler(boxogw.Config{
		NoDNSLink:         true,
		DisableHTMLErrors: true,
		MetricsRegistry:   prometheus.NewRegistry(),
	}, backend)
}

// served starts a loopback HTTP server and closes it with the test.
func served(t testing.TB, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	return srv.URL
}

// hits counts the requests a server saw, split into identity probes and
// block requests, and the most block requests it had at once.
type hits struct {
	probes, blocks   atomic.Int64
	active, maxAtOne atomic.Int64
}

func (h *hits) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, probeCID.String()) {
			h.probes.Add(1)
		} else {
			h.blocks.Add(1)
			n := h.active.Add(1)
			defer h.active.Add(-1)
			for {
				m := h.maxAtOne.Load()
				if n <= m || h.maxAtOne.CompareAndSwap(m, n) {
					break
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// delayed adds latency before every response, as a far-away gateway has.
func delayed(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		}
		next.ServeHTTP(w, r)
	})
}

// lying answers every block of 64 KiB or more with the right length of
// wrong bytes, and everything else (probes, the small root) honestly.
func lying(c *content, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k, err := cid.Parse(strings.TrimPrefix(r.URL.Path, "/ipfs/"))
		data, ok := c.blocks[k]
		if err != nil || !ok || len(data) < 64<<10 {
			next.ServeHTTP(w, r)
			return
		}
		bad := bytes.Clone(data)
		bad[len(bad)/2] ^= 0xff
		w.Header().Set("Content-Type", "application/vnd.ipld.raw")
		_, _ = w.Write(bad)
	})
}

// deadURL is an address where nothing listens: connections are refused.
func deadURL(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// silentURL accepts TCP connections and never says a word.
func silentURL(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go func() { _, _ = io.Copy(io.Discard, c) }()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + ln.Addr().String()
}

// testLogger logs to a buffer the test can search, and to the test log on
// failure.
func testLogger(t testing.TB) (*slog.Logger, *syncbuf.Buffer) {
	buf := &syncbuf.Buffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("fetcher log:\n%s", buf.String())
		}
	})
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

func newFetcher(t testing.TB, gateways []string, opts ...Option) *Fetcher {
	t.Helper()
	log, _ := testLogger(t)
	f, err := New(context.Background(), gateways, append([]Option{WithLogger(log)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", limit, what)
		}
		time.Sleep(10 * time.Millisecond) // polling interval, not synchronisation
	}
}

func rankOf(f *Fetcher, url string) Rank {
	for _, r := range f.Ranking() {
		if r.URL == url {
			return r
		}
	}
	return Rank{}
}

// fetchAll fetches cids with up to par requests in flight, as a video
// reader does, and checks every block against the original bytes.
func fetchAll(t testing.TB, f *Fetcher, c *content, cids []cid.Cid, par int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	errs := make(chan error, len(cids))
	for _, k := range cids {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			b, err := f.Fetch(ctx, k)
			if err != nil {
				errs <- err
				return
			}
			if !bytes.Equal(b.RawData(), c.blocks[k]) || !b.Cid().Equals(k) {
				errs <- &mismatchError{k}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

type mismatchError struct{ c cid.Cid }

func (e *mismatchError) Error() string { return "block " + e.c.String() + " differs from the original" }

func sum(c *content, cids []cid.Cid) int64 {
	var n int64
	for _, k := range cids {
		n += int64(len(c.blocks[k]))
	}
	return n
}
