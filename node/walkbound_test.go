package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipfs/boxo/ipld/merkledag"
	ft "github.com/ipfs/boxo/ipld/unixfs"
	"github.com/ipfs/boxo/ipld/unixfs/hamt"
	"github.com/ipfs/go-cid"
	ipld "github.com/ipfs/go-ipld-format"
)

// bombFanout is the width of every shard of a reuse bomb.
const bombFanout = 256

// reuseBomb stores on n a HAMT-sharded directory of levels+1 shard blocks:
// each of the levels upper shards links bombFanout times to the one shard
// below it, and the lowest shard holds bombFanout entries, all the same
// small file, named v000.mp4 … v255.mp4 (or no entries at all when empty).
// A walk that follows every link meets bombFanout^(levels+1) entries (or
// reads bombFanout^levels shards) in a few KiB of blocks.
func reuseBomb(t testing.TB, n *Node, levels int, empty bool) cid.Cid {
	t.Helper()
	ctx := context.Background()
	file := importBytes(t, n, []byte("not much of a video"))
	shard := func(links func(nd *merkledag.ProtoNode)) *merkledag.ProtoNode {
		bitfield := bytes.Repeat([]byte{0xff}, bombFanout/8)
		if empty && links == nil {
			bitfield = make([]byte, bombFanout/8)
		}
		data, err := ft.HAMTShardData(bitfield, bombFanout, hamt.HashMurmur3)
		if err != nil {
			t.Fatal(err)
		}
		nd := merkledag.NodeWithData(data)
		if links != nil {
			links(nd)
		}
		if err := n.offlineDAG.Add(ctx, nd); err != nil {
			t.Fatal(err)
		}
		return nd
	}
	var below *merkledag.ProtoNode
	if empty {
		below = shard(nil)
	} else {
		below = shard(func(nd *merkledag.ProtoNode) {
			for i := range bombFanout {
				if err := nd.AddRawLink(fmt.Sprintf("%02Xv%03d.mp4", i, i), &ipld.Link{Cid: file, Size: 19}); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
	for range levels {
		child := below
		below = shard(func(nd *merkledag.ProtoNode) {
			for i := range bombFanout {
				if err := nd.AddRawLink(fmt.Sprintf("%02X", i), &ipld.Link{Cid: child.Cid(), Size: 1 << 20}); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
	t.Logf("reuse bomb %s: %d shard blocks of %d bytes", below.Cid(), levels+1, len(below.RawData()))
	return below.Cid()
}

// heapPeak samples the heap while run runs and returns how far it grew
// above where it was before. The collector runs often meanwhile, so the
// peak is close to what run keeps alive rather than its garbage.
func heapPeak(run func()) (growth uint64) {
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak uint64
	var mu sync.Mutex
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			mu.Lock()
			peak = max(peak, ms.HeapAlloc)
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	run()
	close(stop)
	<-sampled
	runtime.ReadMemStats(&ms)
	peak = max(peak, ms.HeapAlloc)
	if peak < base {
		return 0
	}
	return peak - base
}

// bombLimits are what a walk over a bomb may cost: generous for a busy
// 2-core machine, far below what an unbounded walk takes.
const (
	bombMaxHeap = 64 << 20
	bombMaxTime = 20 * time.Second
)

// checkBounded runs op and asserts it ends within bombMaxTime and
// bombMaxHeap of heap growth, with an error wrapping ErrDAGTooLarge when
// wantErr.
func checkBounded(t *testing.T, what string, wantErr bool, op func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*bombMaxTime)
	defer cancel()
	var err error
	start := time.Now()
	growth := heapPeak(func() { err = op(ctx) })
	took := time.Since(start)
	t.Logf("%s: %v in %v, heap grew %.1f MiB", what, err, took.Round(time.Millisecond), float64(growth)/(1<<20))
	switch {
	case wantErr && !errors.Is(err, ErrDAGTooLarge):
		t.Errorf("%s: got %v, want an error wrapping ErrDAGTooLarge", what, err)
	case !wantErr && err != nil:
		t.Errorf("%s: %v", what, err)
	}
	if took > bombMaxTime {
		t.Errorf("%s took %v, want under %v", what, took, bombMaxTime)
	}
	if growth > bombMaxHeap {
		t.Errorf("%s grew the heap by %.1f MiB, want under %d MiB", what, float64(growth)/(1<<20), bombMaxHeap>>20)
	}
}

func TestReuseBombResolveVideo(t *testing.T) {
	n := newTestNode(t)
	for _, tc := range []struct {
		name   string
		levels int
		empty  bool
	}{
		{"entries", 3, false},     // 256^4 entries named alike
		{"empty shards", 3, true}, // 256^3 shard reads, no entry at all
	} {
		t.Run(tc.name, func(t *testing.T) {
			bomb := reuseBomb(t, n, tc.levels, tc.empty)
			checkBounded(t, "ResolveVideo", true, func(ctx context.Context) error {
				_, err := n.ResolveVideo(ctx, bomb)
				return err
			})
		})
	}
}

func TestReuseBombGateway(t *testing.T) {
	p := newGatewayPair(t)
	for _, tc := range []struct {
		name, query string
		levels      int
		empty       bool
		wantErr     bool
	}{
		{"video", "", 3, false, true},
		{"video of empty shards", "", 3, true, true},
		// boxo's CAR visits each block once: a small answer. Its tar
		// follows every link and ends the stream with the error.
		{"car", "?format=car&dups=y", 3, false, false},
		{"tar", "?format=tar", 3, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bomb := reuseBomb(t, p.viewer, tc.levels, tc.empty)
			checkBounded(t, "GET "+tc.name, tc.wantErr, func(ctx context.Context) error {
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.gw.URL(bomb)+tc.query, nil)
				if err != nil {
					return err
				}
				resp, err := p.client.Do(req)
				if err != nil {
					return err
				}
				defer resp.Body.Close()
				var body bytes.Buffer
				_, rerr := body.ReadFrom(resp.Body)
				msg := body.String()
				if i := strings.Index(msg, ErrDAGTooLarge.Error()); i >= 0 {
					// A tar's error follows its padding.
					msg = strings.TrimLeft(msg[max(i-200, 0):i+len(ErrDAGTooLarge.Error())], "\x00 ")
				} else if len(msg) > 300 {
					msg = msg[:300] + "…"
				}
				if resp.StatusCode == http.StatusOK && rerr == nil && !strings.Contains(msg, ErrDAGTooLarge.Error()) {
					t.Logf("%s: 200 OK with %d bytes", tc.name, body.Len())
					if tc.wantErr {
						return fmt.Errorf("200 OK with %d bytes", body.Len())
					}
					return nil
				}
				if strings.Contains(msg, ErrDAGTooLarge.Error()) {
					return fmt.Errorf("%s: %s (%v): %w", resp.Status, msg, rerr, ErrDAGTooLarge)
				}
				return fmt.Errorf("%s: %s (%v)", resp.Status, msg, rerr)
			})
		})
	}
}

func TestReuseBombResolvePath(t *testing.T) {
	n := newTestNode(t)
	bomb := reuseBomb(t, n, 3, false)
	// A lookup follows one hash path, so it meets the bomb's shards once
	// each; it must answer (found or not) without walking the rest.
	ctx, cancel := context.WithTimeout(context.Background(), bombMaxTime)
	defer cancel()
	start := time.Now()
	var err error
	growth := heapPeak(func() { _, err = n.ResolvePath(ctx, bomb, "v007.mp4") })
	t.Logf("ResolvePath: %v in %v, heap grew %.1f MiB", err, time.Since(start), float64(growth)/(1<<20))
	if ctx.Err() != nil || growth > bombMaxHeap {
		t.Fatalf("ResolvePath took %v and %.1f MiB", time.Since(start), float64(growth)/(1<<20))
	}
}

// TestWalkBoundsFitLargeDirectory checks the bounds against what a real
// video directory may be: a HAMT-sharded one of MaxDirEntries entries
// resolves its video well within MaxWalkBlocks, one entry more does not.
func TestWalkBoundsFitLargeDirectory(t *testing.T) {
	n := newTestNode(t)
	small := importBytes(t, n, []byte("a subtitle, say"))
	video := importRandom(t, n, 7, 3<<20)
	entries := map[string]cid.Cid{"talk.mp4": video}
	for i := len(entries); i < MaxDirEntries; i++ {
		entries[fmt.Sprintf("extra-%05d.srt", i)] = small
	}
	fits := makeDir(t, n, true, entries)
	entries["one-more.srt"] = small
	over := makeDir(t, n, true, entries)

	ctx, release := boundWalk(context.Background())
	defer release()
	v, err := n.ResolveVideo(ctx, fits)
	if err != nil {
		t.Fatalf("directory of %d entries: %v", MaxDirEntries, err)
	}
	reads := walkBudgetOf(ctx).reads.Load()
	t.Logf("directory of %d entries: %d block reads", MaxDirEntries, reads)
	if v.Cid != video {
		t.Fatalf("played %s (%q), want the video %s", v.Cid, v.Name, video)
	}
	if reads > MaxWalkBlocks/2 {
		t.Fatalf("%d block reads for %d entries: the bound leaves too little room", reads, MaxDirEntries)
	}
	if _, err := n.ResolveVideo(context.Background(), over); !errors.Is(err, ErrDAGTooLarge) {
		t.Fatalf("directory of %d entries: %v, want ErrDAGTooLarge", MaxDirEntries+1, err)
	}
}

// TestOpenIsNotAWalk: a File opened under a walk (a gateway request)
// reads outside its budget, so a film longer than MaxWalkBlocks leaves
// still plays to its end.
func TestOpenIsNotAWalk(t *testing.T) {
	n := newTestNode(t)
	c := importRandom(t, n, 8, 3<<20+5)
	ctx, release := boundWalk(context.Background())
	defer release()
	f, err := n.Open(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := io.Copy(io.Discard, f); err != nil {
		t.Fatal(err)
	}
	if reads := walkBudgetOf(ctx).reads.Load(); reads != 0 {
		t.Fatalf("reading a file charged %d block reads to the walk", reads)
	}
}
