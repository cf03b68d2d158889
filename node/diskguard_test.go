package node

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ma "github.com/multiformats/go-multiaddr"
)

// The guard counts what is being written, so writers racing on one
// reading of the free space cannot take it below the reserve together.
func TestDiskGuardAdmitsWithinReserve(t *testing.T) {
	var free atomic.Int64
	free.Store(100 << 20)
	g := newDiskGuard(t.TempDir(), 64<<20, slog.Default())
	g.free = func(string) (int64, int64, error) { return free.Load(), 1 << 30, nil }

	var admitted atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if done, err := g.admit(4 << 20); err == nil {
				admitted.Add(1)
				defer done()
				<-time.After(10 * time.Millisecond) // all hold their bytes at once
			} else if !errors.Is(err, ErrDiskFull) {
				t.Errorf("refusal %v, want ErrDiskFull", err)
			}
		}()
	}
	wg.Wait()
	// 36 MiB above the reserve: nine 4 MiB writes fit, not ten.
	if n := admitted.Load(); n != 9 {
		t.Errorf("%d writes of 4 MiB admitted with 36 MiB above the reserve, want 9", n)
	}
	if g.refused.Load() != 7 || g.inflight.Load() != 0 {
		t.Errorf("refused %d, in flight %d after all finished; want 7 and 0", g.refused.Load(), g.inflight.Load())
	}
	// A disk that cannot be measured does not stop writes.
	g.free = func(string) (int64, int64, error) { return 0, 0, errors.New("statfs failed") }
	if _, err := g.admit(1 << 30); err != nil {
		t.Errorf("unmeasurable disk refused a write: %v", err)
	}
}

// At its reserve the node refuses to store (imports and fetches fail with
// ErrDiskFull and store nothing), keeps serving what it has and keeps its
// pins; below the room a rewrite needs, eviction deletes without
// rewriting Badger's files and says why.
func TestNodeAtDiskReserve(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	repo := filepath.Join(t.TempDir(), "repo")
	full := startNode(t, Config{Repo: repo, Isolated: true})
	kept, err := full.Import(ctx, newRandomReader(41, 6<<20))
	if err != nil {
		t.Fatal(err)
	}
	cached, err := full.Import(ctx, newRandomReader(42, 3<<20), ImportNoPin())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := full.Import(ctx, newRandomReader(45, 2<<20), ImportNoPin()); err != nil {
		t.Fatal(err)
	}
	full.Close()
	// Reopened with a reserve larger than the disk: every write is refused.
	free, _, err := FreeSpace(repo)
	if err != nil {
		t.Fatal(err)
	}
	n, err := New(ctx, Config{Repo: repo, Isolated: true}, WithDiskReserve(free+1<<40))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	if err := n.Start(ctx); err != nil {
		t.Fatal(err)
	}

	if _, err := n.Import(ctx, newRandomReader(43, 2<<20)); !errors.Is(err, ErrDiskFull) {
		t.Fatalf("import on a full disk: %v, want ErrDiskFull", err)
	}
	peer := newTestNode(t)
	other, err := peer.Import(ctx, newRandomReader(44, 4<<20))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Connect(ctx, addrInfoOver(t, peer, ma.P_TCP)); err != nil {
		t.Fatal(err)
	}
	refusedBefore := n.DiskRefusals()
	if err := n.Pin(ctx, other.Cid); !errors.Is(err, ErrDiskFull) {
		t.Fatalf("pin from a peer on a full disk: %v, want ErrDiskFull", err)
	}
	if n.DiskRefusals() == refusedBefore {
		t.Error("no refusal counted")
	}
	if has, _ := n.blockstore.Has(ctx, other.Cid); has {
		t.Error("a refused fetch stored its root")
	}
	// What it has, it serves.
	f, err := peer.Open(ctx, kept.Cid)
	if err != nil {
		t.Fatal(err)
	}
	if sha256Of(t, f) != sha256Of(t, newRandomReader(41, 6<<20)) {
		t.Fatal("the full node served a damaged copy")
	}
	f.Close()

	// Too little room to rewrite value-log files: the blocks go, the
	// space stays taken, and the error says why.
	n.guard.free = func(string) (int64, int64, error) { return reclaimRewriteFree - 1, 1 << 30, nil }
	res, err := n.Evict(ctx, cached.Cid)
	if !errors.Is(err, ErrDiskFull) || res.BlocksRemoved == 0 {
		t.Fatalf("evict on a full disk: %+v, %v; want the blocks removed and ErrDiskFull", res, err)
	}
	// With room for rewrites but not for rotating the head, GC runs.
	n.guard.free = func(string) (int64, int64, error) { return reclaimRotateFree - 1, 1 << 30, nil }
	if res, err := n.GC(ctx); err != nil || res.BytesRemoved < 2<<20 {
		t.Fatalf("gc with room for rewrites only: %+v, %v; want the other cached file removed", res, err)
	}
	if pinned, err := n.IsPinned(ctx, kept.Cid); err != nil || !pinned {
		t.Fatalf("pin lost: %v, %v", pinned, err)
	}
	v, err := n.VerifyBlocks(ctx)
	if err != nil || len(v.Corrupt) != 0 || v.Bytes < 6<<20 {
		t.Fatalf("verify: %+v, %v; want the pinned file's blocks intact", v, err)
	}
}
