package library_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipfs/go-cid"

	"github.com/ipfs-tube/ipfs-tube/internal/nodelib"
	"github.com/ipfs-tube/ipfs-tube/library"
	"github.com/ipfs-tube/ipfs-tube/node"
)

const mib = 1 << 20

// quotaRig is a started isolated node with the catalog inside its repo,
// laid out as the app lays them out.
type quotaRig struct {
	t    *testing.T
	ctx  context.Context
	n    *node.Node
	cat  *library.Catalog
	repo string

	mu    sync.Mutex
	clock time.Time // hands out increasing watch times
	seed  uint64
}

func newQuotaRig(t *testing.T) *quotaRig {
	t.Helper()
	return newQuotaRigIn(t, t.TempDir())
}

func newQuotaRigIn(t *testing.T, parent string) *quotaRig {
	t.Helper()
	ctx := context.Background()
	repo := filepath.Join(parent, "repo")
	n, cat := startNodeAndCatalog(t, repo)
	return &quotaRig{t: t, ctx: ctx, n: n, cat: cat, repo: repo,
		clock: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (r *quotaRig) keeper(opts ...library.KeeperOption) *library.Keeper {
	r.t.Helper()
	k, err := library.NewKeeper(r.ctx, r.cat, nodelib.Store{N: r.n}, opts...)
	if err != nil {
		r.t.Fatal(err)
	}
	return k
}

func (r *quotaRig) du() int64 {
	r.t.Helper()
	d, err := node.DiskUsage(r.repo)
	if err != nil {
		r.t.Fatal(err)
	}
	return d
}

// addVideo imports size random bytes (pinned for own uploads) and records
// the video in the catalog, watched at the next tick of the rig's clock
// (never watched when kept is OwnUpload). Import and Put happen under one
// lock so catalog order is watch-time order even with concurrent callers.
func (r *quotaRig) addVideo(size int64, kept library.KeepReason) library.Video {
	r.t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seed++
	var opts []node.ImportOption
	if kept == library.Cache {
		opts = append(opts, node.ImportNoPin())
	}
	res, err := r.n.Import(r.ctx, newRandom(r.seed, size), opts...)
	if err != nil {
		r.t.Error(err)
		return library.Video{}
	}
	r.clock = r.clock.Add(time.Minute)
	v := library.Video{Cid: res.Cid, Title: "video", Size: size, BytesLocal: size, Kept: kept, Added: r.clock}
	if kept == library.Cache {
		v.WatchCount, v.FirstWatched, v.LastWatched = 1, r.clock, r.clock
	}
	if err := r.cat.Put(r.ctx, v); err != nil {
		r.t.Error(err)
	}
	return v
}

// local reports how many bytes of c's file are on disk.
func (r *quotaRig) local(c cid.Cid) int64 {
	r.t.Helper()
	ranges, err := r.n.LocalRanges(r.ctx, c)
	if err != nil {
		r.t.Fatal(err)
	}
	var n int64
	for _, br := range ranges {
		n += br.End - br.Start
	}
	return n
}

func (r *quotaRig) get(c cid.Cid) library.Video {
	r.t.Helper()
	v, err := r.cat.Get(r.ctx, c)
	if err != nil {
		r.t.Fatal(err)
	}
	return v
}

// sampleDiskUsage samples the repo's disk use every period until stop is
// called, which returns the largest sample and how many were taken.
func sampleDiskUsage(t *testing.T, repo string, period time.Duration) (stop func() (peak int64, samples int)) {
	var peak atomic.Int64
	var samples atomic.Int64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(period)
		defer tick.Stop()
		for {
			if d, err := node.DiskUsage(repo); err == nil {
				samples.Add(1)
				if d > peak.Load() {
					peak.Store(d)
				}
			} else {
				t.Error(err)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() (int64, int) {
		close(done)
		<-finished
		return peak.Load(), int(samples.Load())
	}
}

// sampleMinFree samples the free space of dir's disk every period until
// stop is called, which returns the lowest sample.
func sampleMinFree(dir string, period time.Duration) (stop func() int64) {
	var lowest atomic.Int64
	lowest.Store(1 << 62)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			if free, _, err := node.FreeSpace(dir); err == nil && free < lowest.Load() {
				lowest.Store(free)
			}
			select {
			case <-done:
				return
			case <-time.After(period):
			}
		}
	}()
	return func() int64 {
		close(done)
		<-finished
		return lowest.Load()
	}
}

// newRandom yields size deterministic pseudo-random bytes.
func newRandom(seed uint64, size int64) io.Reader {
	var s [32]byte
	s[0], s[1] = byte(seed), byte(seed>>8)
	return io.LimitReader(rand.NewChaCha8(s), size)
}

// The acceptance test of the quota: two workers fill the cache far past a
// 128 MiB quota (72 MiB usable after the eviction headroom), reserving before every import, while the repo's disk use is
// sampled; it never exceeds the quota plus the slack, the oldest videos go
// first and the own upload stays whole.
func TestReserveHoldsQuotaWhileCacheFills(t *testing.T) {
	const quota = 128 * mib
	r := newQuotaRig(t)
	empty := r.du()
	upload := r.addVideo(12*mib, library.OwnUpload) // oldest of all: LRU alone would take it first
	k := r.keeper(library.WithQuota(quota))

	stop := sampleDiskUsage(t, r.repo, 20*time.Millisecond)
	start := time.Now()
	var wg sync.WaitGroup
	var added []library.Video
	var addedMu sync.Mutex
	for w := range 2 {
		wg.Go(func() {
			for i := range 12 {
				size := int64(3+(i*5+w*3)%9)*mib + int64(i)*100<<10 // 3..12 MiB, not whole files
				release, err := k.Reserve(r.ctx, size)
				if err != nil {
					t.Errorf("reserve %d MiB: %v", size/mib, err)
					return
				}
				v := r.addVideo(size, library.Cache)
				release()
				addedMu.Lock()
				added = append(added, v)
				addedMu.Unlock()
			}
		})
	}
	wg.Wait()
	peak, samples := stop()
	t.Logf("empty repo %d KiB; 24 cached imports in %v; peak %.1f MiB over %d samples (quota %d MiB, limit %d MiB)",
		empty>>10, time.Since(start).Round(time.Millisecond), float64(peak)/mib, samples, quota/mib, (quota+library.QuotaSlack)/mib)
	if peak > quota+library.QuotaSlack {
		t.Errorf("disk use peaked at %.1f MiB, above quota + slack = %d MiB", float64(peak)/mib, (quota+library.QuotaSlack)/mib)
	}
	if samples < 10 {
		t.Errorf("only %d samples taken", samples)
	}

	st, err := k.State(r.ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("state after: used %.1f MiB, kept %d MiB, cache %d MiB, budget %.1f MiB", float64(st.Used)/mib, st.Kept>>20, st.Cache>>20, float64(st.CacheBudget)/mib)
	if st.OverQuota || st.FloorReached {
		t.Errorf("state %+v, want within quota", st)
	}

	// Evicted videos form the oldest part of the history, and the
	// catalog and the disk agree on what is gone.
	var evicted, cached int
	var newestEvicted, oldestCached time.Time
	for _, v := range added {
		got := r.get(v.Cid)
		switch {
		case got.Kept.Has(library.Cache):
			cached++
			if got.BytesLocal != v.Size || r.local(v.Cid) != v.Size {
				t.Errorf("cached video %s: catalog says %d bytes local, disk has %d, want %d", v.Cid, got.BytesLocal, r.local(v.Cid), v.Size)
			}
			if oldestCached.IsZero() || got.LastWatched.Before(oldestCached) {
				oldestCached = got.LastWatched
			}
		default:
			evicted++
			if got.BytesLocal != 0 || r.local(v.Cid) != 0 {
				t.Errorf("evicted video %s: catalog says %d bytes local, disk has %d, want 0", v.Cid, got.BytesLocal, r.local(v.Cid))
			}
			if got.WatchCount != 1 {
				t.Errorf("evicted video %s lost its history: %+v", v.Cid, got)
			}
			if got.LastWatched.After(newestEvicted) {
				newestEvicted = got.LastWatched
			}
		}
	}
	if evicted == 0 || cached == 0 {
		t.Fatalf("%d evicted, %d cached: the run did not exercise eviction", evicted, cached)
	}
	if !newestEvicted.Before(oldestCached) {
		t.Errorf("a video watched at %v was evicted while one watched at %v stayed", newestEvicted, oldestCached)
	}
	if got := r.local(upload.Cid); got != upload.Size {
		t.Errorf("own upload has %d of %d bytes on disk", got, upload.Size)
	}
	if got := r.get(upload.Cid); got.Kept != library.OwnUpload || got.BytesLocal != upload.Size {
		t.Errorf("own upload's record changed: %+v", got)
	}
}

func TestReserveEvictsLeastRecentlyWatchedFirst(t *testing.T) {
	r := newQuotaRig(t)
	neverWatched := r.addVideo(8*mib, library.Cache)
	if _, err := r.cat.Update(r.ctx, neverWatched.Cid, func(v *library.Video) error {
		v.WatchCount, v.FirstWatched, v.LastWatched = 0, time.Time{}, time.Time{}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	v1 := r.addVideo(8*mib, library.Cache)
	v2 := r.addVideo(8*mib, library.Cache)
	v3 := r.addVideo(8*mib, library.Cache)
	v4 := r.addVideo(8*mib, library.Cache)
	pinned := r.addVideo(8*mib, library.Pinned)
	// Watching v1 again makes v2 the least recently watched.
	if _, err := r.cat.RecordWatch(r.ctx, v1.Cid, time.Second, r.clock.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	k := r.keeper()
	st, err := k.State(r.ctx)
	if err != nil {
		t.Fatal(err)
	}
	// A quota whose eviction target is today's disk use: any
	// reservation has to evict.
	if _, err := k.SetQuota(r.ctx, st.Used+library.DefaultEvictionOverhead-library.QuotaSlack); err != nil {
		t.Fatal(err)
	}
	for _, v := range []library.Video{neverWatched, v1, v2, v3, v4} {
		if !r.get(v.Cid).Kept.Has(library.Cache) {
			t.Fatalf("SetQuota to the current use evicted %s", v.Cid)
		}
	}

	// 12 MiB takes two 8 MiB videos: the never-watched one, then v3,
	// because v2 is the one being fetched and so protected.
	release, err := k.Reserve(r.ctx, 12*mib, library.ForVideo(v2.Cid))
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	want := map[cid.Cid]bool{neverWatched.Cid: false, v3.Cid: false, v1.Cid: true, v2.Cid: true, v4.Cid: true}
	for c, stays := range want {
		got := r.get(c)
		if got.Kept.Has(library.Cache) != stays || (r.local(c) > 0) != stays {
			t.Errorf("%s: cache %v, %d bytes local; want kept = %v", c, got.Kept, r.local(c), stays)
		}
	}
	if r.local(pinned.Cid) != pinned.Size || r.get(pinned.Cid).Kept != library.Pinned {
		t.Error("the pinned video lost blocks or its keep reason")
	}
}

func TestQuotaSmallerThanOwnUploads(t *testing.T) {
	r := newQuotaRig(t)
	upload := r.addVideo(40*mib, library.OwnUpload)
	pinned := r.addVideo(4*mib, library.Pinned)
	c1 := r.addVideo(8*mib, library.Cache)
	c2 := r.addVideo(8*mib, library.Cache)
	k := r.keeper(library.WithQuota(1 << 30))

	before := r.du()
	st, err := k.SetQuota(r.ctx, 32*mib)
	if err != nil {
		t.Fatal(err)
	}
	after := r.du()
	t.Logf("quota 32 MiB under 44 MiB of uploads and pins: du %.1f → %.1f MiB; message %q", float64(before)/mib, float64(after)/mib, st.Message)
	if !st.OverQuota || st.Cache != 0 || st.CacheBudget != 0 {
		t.Errorf("state %+v: want over quota, no cache, no budget", st)
	}
	if !strings.Contains(st.Message, "more than the 32.0 MiB storage quota") {
		t.Errorf("message %q does not tell the user their uploads exceed the quota", st.Message)
	}
	for _, c := range []cid.Cid{c1.Cid, c2.Cid} {
		if r.local(c) != 0 || r.get(c).Kept.Has(library.Cache) {
			t.Errorf("cached video %s survived a quota below the own uploads", c)
		}
	}
	if before-after < 15*mib {
		t.Errorf("evicting 16 MiB freed only %.1f MiB", float64(before-after)/mib)
	}
	for _, v := range []library.Video{upload, pinned} {
		if got := r.local(v.Cid); got != v.Size {
			t.Errorf("kept video %s has %d of %d bytes", v.Cid, got, v.Size)
		}
		if ok, err := r.n.IsPinned(r.ctx, v.Cid); err != nil || !ok {
			t.Errorf("kept video %s is no longer pinned (%v)", v.Cid, err)
		}
	}

	if _, err := k.Reserve(r.ctx, mib); !errors.Is(err, library.ErrQuota) {
		t.Errorf("cache reservation over quota: %v, want ErrQuota", err)
	}
	// Own uploads alone already pass the quota: another upload is refused
	// with a reason, rather than taking the repo further past it.
	_, err = k.Reserve(r.ctx, 8*mib, library.ForKeeping())
	if !errors.Is(err, library.ErrQuota) || !strings.Contains(err.Error(), "own uploads and pins would take") {
		t.Fatalf("upload reservation over quota: %v, want ErrQuota saying why", err)
	}
}

func TestQuotaZeroCachesNothing(t *testing.T) {
	r := newQuotaRig(t)
	k := r.keeper(library.WithQuota(1 << 30))
	var cached []library.Video
	for range 6 {
		release, err := k.Reserve(r.ctx, 8*mib)
		if err != nil {
			t.Fatal(err)
		}
		cached = append(cached, r.addVideo(8*mib, library.Cache))
		release()
	}
	before := r.du()
	start := time.Now()
	st, err := k.SetQuota(r.ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	after := r.du()
	t.Logf("quota 0: du %.1f MiB → %d KiB in %v; message %q", float64(before)/mib, after>>10, took.Round(time.Millisecond), st.Message)
	if st.OverQuota || st.Cache != 0 || st.Quota != 0 || !strings.Contains(st.Message, "quota is 0") {
		t.Errorf("state %+v: want no cache, not over quota, and a message saying caching is off", st)
	}
	if before-after < 47*mib {
		t.Errorf("evicting 48 MiB freed %.1f MiB", float64(before-after)/mib)
	}
	if after > 2*mib {
		t.Errorf("an emptied repo takes %d KiB", after>>10)
	}
	for _, v := range cached {
		if r.local(v.Cid) != 0 {
			t.Errorf("%s still on disk under quota 0", v.Cid)
		}
	}
	if _, err := k.Reserve(r.ctx, mib); !errors.Is(err, library.ErrQuota) {
		t.Errorf("reserve under quota 0: %v, want ErrQuota", err)
	}
}

// A floor the disk is already below refuses every write, uploads too,
// and evicts nothing, since evicting could not lift it.
func TestFreeFloorStopsWrites(t *testing.T) {
	r := newQuotaRig(t)
	c := r.addVideo(8*mib, library.Cache)
	free, _, err := node.FreeSpace(r.repo)
	if err != nil {
		t.Fatal(err)
	}
	k := r.keeper(library.WithFreeFloor(free + 1<<40))
	for _, opts := range [][]library.ReserveOption{nil, {library.ForKeeping()}} {
		if _, err := k.Reserve(r.ctx, mib, opts...); !errors.Is(err, library.ErrDiskFull) {
			t.Errorf("reserve below the floor: %v, want ErrDiskFull", err)
		}
	}
	st, err := k.Enforce(r.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !st.FloorReached || !strings.Contains(st.Message, "almost full") {
		t.Errorf("state %+v: want floor reached with a message", st)
	}
	if r.local(c.Cid) != c.Size || !r.get(c.Cid).Kept.Has(library.Cache) {
		t.Error("the floor evicted a cached video that it could not free enough space with")
	}

	// The default floor: 1 % of the disk, at most 1 GiB, at least the
	// eviction overhead.
	_, total, _ := node.FreeSpace(r.repo)
	st, err = r.keeper().State(r.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := max(min(total/100, 1<<30), library.DefaultEvictionOverhead); st.Floor != want {
		t.Errorf("default floor %d, want %d", st.Floor, want)
	}
}

// The eviction overhead the Keeper plans for must cover what an eviction
// really adds to the disk for a moment, and the space must really come
// back afterwards.
func TestEvictionPeak(t *testing.T) {
	r := newQuotaRig(t)
	var vs []library.Video
	for i := range 14 {
		// Odd sizes leave value-log files partly dead, which makes the
		// node rewrite them: the worst case.
		vs = append(vs, r.addVideo(int64(3+i%5*4)*mib+int64(i)*300<<10, library.Cache))
	}
	store := nodelib.Store{N: r.n}
	var worst int64
	live := int64(0)
	for _, v := range vs {
		live += v.Size
	}
	for _, i := range []int{3, 0, 7, 1, 12, 5, 9, 2, 13} {
		before := r.du()
		stop := sampleDiskUsage(t, r.repo, 2*time.Millisecond)
		start := time.Now()
		freed, err := store.Evict(r.ctx, vs[i].Cid)
		took := time.Since(start)
		peak, _ := stop()
		if err != nil {
			t.Fatal(err)
		}
		live -= vs[i].Size
		after := r.du()
		worst = max(worst, peak-before)
		t.Logf("evict %.1f MiB in %v: du %.1f → %.1f MiB, peak +%.1f MiB, dead left %.1f MiB", float64(freed)/mib, took.Round(time.Millisecond), float64(before)/mib, float64(after)/mib, float64(peak-before)/mib, float64(after-live)/mib)
		// The node rewrites value-log files at least 20 % dead and
		// never the newest one, so what stays dead is under a quarter
		// of what lives plus one file (33 MiB).
		if dead := after - live; dead > live/4+33*mib {
			t.Errorf("%.1f MiB dead after eviction with %.1f MiB live", float64(dead)/mib, float64(live)/mib)
		}
	}
	t.Logf("worst transient: +%.1f MiB", float64(worst)/mib)
	if worst > library.DefaultEvictionOverhead {
		t.Errorf("an eviction added %.1f MiB for a moment, more than DefaultEvictionOverhead (%d MiB)", float64(worst)/mib, library.DefaultEvictionOverhead/mib)
	}
}

func TestKeeperBadInputs(t *testing.T) {
	r := newQuotaRig(t)
	ctx := r.ctx
	if _, err := library.NewKeeper(ctx, r.cat, nodelib.Store{N: r.n}, library.WithQuota(-1)); !errors.Is(err, library.ErrInvalid) {
		t.Errorf("negative quota: %v", err)
	}
	if _, err := library.NewKeeper(ctx, r.cat, nil); !errors.Is(err, library.ErrInvalid) {
		t.Errorf("nil store: %v", err)
	}
	if _, err := library.NewKeeper(ctx, r.cat, nodelib.Store{N: r.n}, library.WithMaxEnforceFailures(0)); !errors.Is(err, library.ErrInvalid) {
		t.Errorf("giving up before the first failure: %v", err)
	}
	k := r.keeper(library.WithQuota(256 * mib))
	if _, err := k.SetQuota(ctx, -5); !errors.Is(err, library.ErrInvalid) || k.Quota() != 256*mib {
		t.Errorf("SetQuota(-5): %v, quota now %d", err, k.Quota())
	}
	if _, err := k.Reserve(ctx, -1); !errors.Is(err, library.ErrInvalid) {
		t.Errorf("Reserve(-1): %v", err)
	}
	// Bigger than the quota could ever hold: refused without evicting.
	c := r.addVideo(8*mib, library.Cache)
	if _, err := k.Reserve(ctx, 1<<30); !errors.Is(err, library.ErrQuota) {
		t.Errorf("Reserve(1 GiB) under a 256 MiB quota: %v", err)
	}
	if r.local(c.Cid) != c.Size {
		t.Error("a hopeless reservation evicted the cache")
	}
	// Releasing twice gives the bytes back once.
	release, err := k.Reserve(ctx, 10*mib)
	if err != nil {
		t.Fatal(err)
	}
	other, err := k.Reserve(ctx, 3*mib)
	if err != nil {
		t.Fatal(err)
	}
	release()
	release()
	st, err := k.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Reserved != 3*mib {
		t.Errorf("reserved %d after a double release, want %d", st.Reserved, 3*mib)
	}
	other()
}

func TestRunEnforcesUntilCancelled(t *testing.T) {
	r := newQuotaRig(t)
	c := r.addVideo(8*mib, library.Cache)
	k := r.keeper(library.WithQuota(0), library.WithEnforceInterval(50*time.Millisecond))
	ctx, cancel := context.WithCancel(r.ctx)
	done := make(chan error, 1)
	go func() { done <- k.Run(ctx) }()
	deadline := time.Now().Add(30 * time.Second)
	for r.get(c.Cid).Kept.Has(library.Cache) {
		if time.Now().After(deadline) {
			t.Fatal("Run did not evict under quota 0 within 30 s")
		}
		time.Sleep(20 * time.Millisecond) // polling a condition, not synchronising
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run returned %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

// A real small disk (a 256 MiB tmpfs; needs root, skipped otherwise) with
// the quota far above it: the floor is what holds. Reservations evict
// cache to keep the floor free, every import succeeds, and the disk never
// fills.
func TestFreeFloorHoldsOnSmallDisk(t *testing.T) {
	mnt, err := mountTmpfs(t, 256*mib)
	if err != nil {
		t.Skipf("cannot mount a tmpfs: %v", err)
	}
	r := newQuotaRigIn(t, mnt)
	const floor = 96 * mib
	k := r.keeper(library.WithQuota(1<<30), library.WithFreeFloor(floor))

	stopSampling := sampleMinFree(mnt, 5*time.Millisecond)
	var evicted int
	var vs []library.Video
	for range 16 {
		release, err := k.Reserve(r.ctx, 12*mib)
		if err != nil {
			t.Fatalf("reserve on a small disk: %v", err)
		}
		vs = append(vs, r.addVideo(12*mib, library.Cache))
		release()
		if t.Failed() {
			break
		}
	}
	minFree := stopSampling()
	for _, v := range vs {
		if r.local(v.Cid) == 0 {
			evicted++
		}
	}
	st, err := k.State(r.ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("16 × 12 MiB on a 256 MiB disk with a 96 MiB floor: %d evicted, lowest free %.1f MiB, free now %.1f MiB, used %.1f MiB",
		evicted, float64(minFree)/mib, float64(st.Free)/mib, float64(st.Used)/mib)
	if evicted == 0 {
		t.Error("nothing was evicted: the floor was never reached")
	}
	if st.Free < floor-mib {
		t.Errorf("free %.1f MiB after the run, below the %d MiB floor", float64(st.Free)/mib, floor/mib)
	}
	if minFree < floor-library.DefaultEvictionOverhead {
		t.Errorf("free space fell to %.1f MiB during the run", float64(minFree)/mib)
	}
	// Past the point where evicting can help, writes stop.
	if _, err := k.Reserve(r.ctx, 200*mib); !errors.Is(err, library.ErrDiskFull) {
		t.Errorf("reserving more than the disk: %v, want ErrDiskFull", err)
	}
}

// mountTmpfs mounts a tmpfs of size bytes on a fresh directory, unmounted
// when the test ends (after the cleanups registered later, which close
// what lives on it). It needs root and Linux.
func mountTmpfs(t *testing.T, size int64) (string, error) {
	t.Helper()
	if runtime.GOOS != "linux" {
		return "", errors.New("tmpfs mounts exist on Linux only")
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", size), "tmpfs", mnt).CombinedOutput(); err != nil {
		return "", fmt.Errorf("%v: %s", err, bytes.TrimSpace(out))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", mnt, err, out)
		}
	})
	return mnt, nil
}

// An upload's bytes count before the cache: reserving them evicts cached
// videos even when that cannot make room for all of it, and the upload is
// never refused by the quota.
func TestKeepingReservationEvictsCache(t *testing.T) {
	r := newQuotaRig(t)
	c1 := r.addVideo(8*mib, library.Cache)
	c2 := r.addVideo(8*mib, library.Cache)
	k := r.keeper()
	st, err := k.State(r.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.SetQuota(r.ctx, st.Used+library.DefaultEvictionOverhead-library.QuotaSlack); err != nil {
		t.Fatal(err)
	}
	release, err := k.Reserve(r.ctx, 20*mib, library.ForKeeping())
	if err != nil {
		t.Fatalf("upload reservation: %v", err)
	}
	defer release()
	for _, c := range []cid.Cid{c1.Cid, c2.Cid} {
		if r.local(c) != 0 || r.get(c).Kept.Has(library.Cache) {
			t.Errorf("cached video %s stayed while an upload needed its room", c)
		}
	}
	if st, err = k.State(r.ctx); err != nil || st.Reserved != 20*mib {
		t.Errorf("reserved %d (%v), want 20 MiB", st.Reserved, err)
	}
}

// startNodeAndCatalog starts an isolated node on repo and opens its
// catalog where the app keeps it; both close when the test ends.
func startNodeAndCatalog(t *testing.T, repo string, opts ...node.Option) (*node.Node, *library.Catalog) {
	t.Helper()
	ctx := context.Background()
	n, err := node.New(ctx, node.Config{Repo: repo, Isolated: true}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	if err := n.Start(ctx); err != nil {
		t.Fatal(err)
	}
	cat, err := library.Open(ctx, filepath.Join(repo, "library"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cat.Close() })
	return n, cat
}
