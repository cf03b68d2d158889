package library_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ipfs/go-cid"

	"github.com/ipfs-tube/ipfs-tube/library"
	"github.com/ipfs-tube/ipfs-tube/node"
)

// roundLog keeps every report of a member's rounds.
type roundLog struct {
	mu   sync.Mutex
	reps []library.RoundReport
}

func (l *roundLog) all() []library.RoundReport {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.reps)
}

// fetched lists what the rounds fetched, in order; swaps lists when the
// rounds that swapped ran.
func (l *roundLog) fetched() (out []cid.Cid) {
	for _, r := range l.all() {
		out = append(out, r.Fetched...)
	}
	return out
}

func (l *roundLog) swaps() (out []time.Time) {
	for _, r := range l.all() {
		if r.Swapped {
			out = append(out, r.At)
		}
	}
	return out
}

// runRounds runs m's rounds every period, as Run does, keeping every
// report, until the returned stop is called.
func runRounds(t *testing.T, m *liveMember, period time.Duration) (*roundLog, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	log := &roundLog{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(period)
		defer tick.Stop()
		for {
			rep, err := m.a.Round(ctx)
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				t.Logf("round on %s: %v", m.n.ID().ShortString(), err)
			}
			log.mu.Lock()
			log.reps = append(log.reps, rep)
			log.mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return log, stop
}

// holds lists the videos m auto-seeds whole: marked in its catalog,
// pinned and all local.
func (m *liveMember) holds(t *testing.T, ctx context.Context) []cid.Cid {
	t.Helper()
	page, err := m.cat.List(ctx, library.ListOptions{Kept: library.AutoSeeded})
	if err != nil {
		t.Fatal(err)
	}
	var out []cid.Cid
	for _, v := range page.Videos {
		pinned, err := m.n.IsPinned(ctx, v.Cid)
		if err != nil {
			t.Fatal(err)
		}
		if local, _ := (liveSeedNode{newSeedNode(m.n)}).LocalBytes(ctx, v.Cid); pinned && local == v.Size {
			out = append(out, v.Cid)
		}
	}
	return out
}

func (m *liveMember) score(c cid.Cid) library.VideoScore {
	for _, s := range m.a.Scores() {
		if s.Cid.Equals(c) {
			return s
		}
	}
	return library.VideoScore{Cid: c}
}

// The multi-node acceptance test of auto-seeding (issue 6), on loopback
// with real nodes, gossip, DHT, bitswap and Badger: one publisher, three
// viewers, two volunteers whose quotas fit about two of the 8 MiB videos.
//
//  1. Two viewers hold C themselves and a third watches and pins it, so C
//     has four providers and D one; viewers watch A twice, C and D once
//     each. The volunteers seed A (watched most) and D (watched as much
//     as C, fewer providers), and never C or the unwatched ones.
//  2. B and E are watched six times each: each volunteer replaces what it
//     holds, at most one swap per minimum keep time (6 s here), although
//     both its videos are past their own keep time.
//  3. The publisher closes; a viewer plays the most popular video whole
//     from the volunteers.
//  4. Throughout, each volunteer's repo (sampled every 100 ms) stays
//     within its quota + 16 MiB.
//  5. The quota drops to zero: the volunteer drops its videos and, after
//     eviction and GC, its disk use falls by what they took.
//
// Round interval (250 ms), announcement window (3 s), keep time and
// half-life (10 min) are the engine's options, shortened for the test.
func TestAutoSeedNetworkLarge(t *testing.T) {
	if library.RaceEnabled {
		t.Skip("six nodes each running the engine four times a second, and 15 evictions rewriting Badger's value log: " +
			"over 4 minutes under -race on two cores (about 35 s without); runs in the pass without -race")
	}
	const (
		interval = 250 * time.Millisecond
		window   = 3 * time.Second
		keep     = 6 * time.Second
	)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	began := time.Now()
	common := []library.AutoSeedOption{
		library.WithSeedInterval(interval), library.WithAnnounceWindow(window),
		library.WithHalfLife(10 * time.Minute), library.WithMinSeedScore(0.05),
		library.WithFetchesPerRound(1), library.WithMinKeep(keep), library.WithFetchTimeout(time.Minute),
	}
	pub := newLiveMember(t, common...)
	var viewers, volunteers []*liveMember
	for range 3 {
		viewers = append(viewers, newLiveMember(t, common...))
	}
	for range 2 {
		// The Keeper's real eviction overhead: the repo must stay within
		// quota + 16 MiB while swaps evict.
		volunteers = append(volunteers, newLiveMemberWith(t, []library.KeeperOption{library.WithFreeFloor(0)}, common...))
	}
	all := append(append([]*liveMember{pub}, viewers...), volunteers...)
	for i := range all {
		for _, other := range all[i+1:] {
			connect(t, all[i].n, other.n)
		}
	}

	names := []string{"A", "B", "C", "D", "E"}
	vid := map[string]cid.Cid{}
	name := map[cid.Cid]string{}
	sum := map[cid.Cid][32]byte{}
	for i, nm := range names {
		res, err := pub.n.Import(ctx, newRandom(uint64(700+i), seedSize))
		if err != nil {
			t.Fatal(err)
		}
		if err := pub.cat.Put(ctx, library.Video{Cid: res.Cid, Title: nm, Size: seedSize, BytesLocal: seedSize, Kept: library.OwnUpload}); err != nil {
			t.Fatal(err)
		}
		vid[nm], name[res.Cid] = res.Cid, nm
		sum[res.Cid] = sha256Of(t, newRandom(uint64(700+i), seedSize))
	}
	names2 := func(cs []cid.Cid) (out []string) {
		for _, c := range cs {
			out = append(out, name[c])
		}
		return out
	}
	// watch plays c whole on v, then forgets it unless kept, so no viewer
	// serves another from its cache and the servers count every viewing.
	watch := func(v *liveMember, c cid.Cid, keep bool) {
		t.Helper()
		if readWhole(t, ctx, v.n, c) != sum[c] {
			t.Fatalf("viewer got a damaged %s", name[c])
		}
		if !keep {
			if _, err := v.n.Evict(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
	}

	var quotas []int64
	var stopSampling []func() (int64, int)
	for _, vol := range volunteers {
		st, err := vol.k.State(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// Room for two and a half videos once eviction's headroom is set
		// aside (the Keeper evicts to 56 MiB below the quota).
		q := st.Used + library.DefaultEvictionOverhead - library.QuotaSlack + 5*seedSize/2
		if _, err := vol.k.SetQuota(ctx, q); err != nil {
			t.Fatal(err)
		}
		quotas = append(quotas, q)
		var once sync.Once
		var peak int64
		var samples int
		stop := sampleDiskUsage(t, vol.n.RepoDir(), 100*time.Millisecond)
		stopOnce := func() (int64, int) {
			once.Do(func() { peak, samples = stop() })
			return peak, samples
		}
		t.Cleanup(func() { stopOnce() })
		stopSampling = append(stopSampling, stopOnce)
	}
	_, stopPub := runRounds(t, pub, interval)
	for _, v := range viewers {
		runRounds(t, v, time.Second)
	}
	var logs []*roundLog
	var stopVolunteers []func()
	for _, vol := range volunteers {
		l, stop := runRounds(t, vol, interval) // seeding off until phase 1's news is in
		logs, stopVolunteers = append(logs, l), append(stopVolunteers, stop)
	}
	waitFor(t, "the publisher's first round (it indexes its uploads)", func() bool { return !pub.a.LastRound().At.IsZero() })

	// Phase 1.
	a, b, c, d, e := vid["A"], vid["B"], vid["C"], vid["D"], vid["E"]
	keepC := func(v *liveMember, kept library.KeepReason) {
		t.Helper()
		if err := v.cat.Put(ctx, library.Video{Cid: c, Title: "C", Size: seedSize, BytesLocal: seedSize, Kept: kept}); err != nil {
			t.Fatal(err)
		}
	}
	for _, v := range []*liveMember{viewers[0], viewers[2]} {
		if res, err := v.n.Import(ctx, newRandom(702, seedSize)); err != nil || !res.Cid.Equals(c) {
			t.Fatalf("a viewer's own copy of C: %v, %v", res.Cid, err)
		}
		keepC(v, library.OwnUpload)
	}
	for _, v := range []*liveMember{viewers[0], viewers[2]} {
		// Their next round indexes it, so what they serve of it counts.
		waitFor(t, "a viewer to index its copy of C", func() bool { _, ok := v.n.Demand()[c]; return ok })
	}
	watch(viewers[1], c, true)
	if err := viewers[1].n.Pin(ctx, c); err != nil {
		t.Fatal(err)
	}
	keepC(viewers[1], library.Pinned)
	watch(viewers[1], d, false)
	watch(viewers[0], a, false)
	watch(viewers[2], a, false)
	phase1 := time.Now()
	// Seeding starts once the viewings have left every announcer's window
	// (all of their demand counted) and C's providers are known.
	for i, vol := range volunteers {
		waitFor(t, fmt.Sprintf("volunteer %d to score C with its four providers", i), func() bool {
			return time.Since(phase1) > window+time.Second && vol.score(c).Providers >= 4 && vol.score(d).Providers >= 1
		})
		sa, sc, sd := vol.score(a), vol.score(c), vol.score(d)
		t.Logf("volunteer %d before seeding: A heat %.2f / (1+%d) = %.2f; C heat %.2f / (1+%d) = %.2f; D heat %.2f / (1+%d) = %.2f",
			i, sa.Heat, sa.Providers, sa.Score, sc.Heat, sc.Providers, sc.Score, sd.Heat, sd.Providers, sd.Score)
		// Each want-have for a root counts at every provider: with 8-block
		// videos that is 1/8 viewing per provider and look-up, so heats
		// run above the viewings, C's (four providers) the most.
		if sc.Heat < sd.Heat/2 || sc.Heat > 2*sd.Heat || sa.Heat < 1.2*sd.Heat {
			t.Fatalf("volunteer %d: C and D not watched about equally, or A not most: %+v %+v %+v", i, sa, sc, sd)
		}
	}
	for _, vol := range volunteers {
		vol.a.SetEnabled(true)
	}
	for i, vol := range volunteers {
		waitFor(t, fmt.Sprintf("volunteer %d to seed two videos", i), func() bool {
			return len(vol.holds(t, ctx)) == 2 && len(logs[i].fetched()) >= 2
		})
		got := logs[i].fetched()
		st, err := vol.k.State(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("volunteer %d fetched %v (%.1f s after phase 1's viewings); repo %.1f MiB, %.1f MiB of it videos, budget %.1f MiB",
			i, names2(got), time.Since(phase1).Seconds(), float64(st.Used)/mib, float64(st.Cache)/mib, float64(st.CacheBudget)/mib)
		if len(got) != 2 || !got[0].Equals(a) || !got[1].Equals(d) {
			t.Fatalf("volunteer %d fetched %v, want A (watched most) then D (watched as much as C, fewer providers)", i, names2(got))
		}
	}

	// Phase 2.
	phase2 := time.Now()
	for range 2 {
		for _, v := range viewers {
			watch(v, b, false)
			watch(v, e, false)
		}
	}
	t.Logf("phase 2: B and E watched six times each in %.1f s", time.Since(phase2).Seconds())
	// Every volunteer moves over, but not always to the same videos: once
	// one of them seeds E, E has more providers than the A or D the other
	// still holds, and the other may rightly keep that one (fewer providers
	// first). Seen in 2 of 4 runs: volunteer 1 kept A, which volunteer 0
	// had dropped. So B and E must each be seeded by a volunteer, and each
	// volunteer must have swapped.
	waitFor(t, "the volunteers to replace A and D by B and E", func() bool {
		var held []cid.Cid
		for i, vol := range volunteers {
			if len(logs[i].swaps()) == 0 {
				return false
			}
			held = append(held, vol.holds(t, ctx)...)
		}
		return slices.ContainsFunc(held, b.Equals) && slices.ContainsFunc(held, e.Equals)
	})
	for i, vol := range volunteers {
		sw := logs[i].swaps()
		for j := 1; j < len(sw); j++ {
			if gap := sw[j].Sub(sw[j-1]); gap < keep {
				t.Errorf("volunteer %d swapped twice %v apart, within the %v keep time", i, gap, keep)
			}
		}
		var gaps []string
		for j := 1; j < len(sw); j++ {
			gaps = append(gaps, sw[j].Sub(sw[j-1]).Round(time.Millisecond).String())
		}
		st, err := vol.k.State(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("volunteer %d: %d swaps (gaps %v), fetched %v, holds %v; repo %.1f MiB, %.1f MiB of it videos, budget %.1f MiB",
			i, len(sw), gaps, names2(logs[i].fetched()), names2(vol.holds(t, ctx)),
			float64(st.Used)/mib, float64(st.Cache)/mib, float64(st.CacheBudget)/mib)
		for _, r := range logs[i].all() {
			if len(r.Fetched)+len(r.Dropped)+len(r.Resumed)+len(r.Demoted) > 0 || r.Message != "" {
				t.Logf("  %6.2f s: fetched %v dropped %v (swap %v) resumed %v demoted %v %q", r.At.Sub(began).Seconds(),
					names2(r.Fetched), names2(r.Dropped), r.Swapped, names2(r.Resumed), names2(r.Demoted), r.Message)
			}
		}
		for _, f := range logs[i].fetched() {
			if f.Equals(c) {
				t.Errorf("volunteer %d fetched C, the well-provided one", i)
			}
		}
	}
	// Phase 3: the most popular video plays from the volunteers alone.
	popular := b
	if !slices.ContainsFunc(volunteers[0].holds(t, ctx), b.Equals) && !slices.ContainsFunc(volunteers[1].holds(t, ctx), b.Equals) {
		popular = e
	}
	served := func() (n int64) {
		for _, vol := range volunteers {
			n += vol.n.Demand()[popular].BytesSent
		}
		return n
	}
	stopPub()
	if err := pub.n.Close(); err != nil {
		t.Fatal(err)
	}
	before := served()
	playStart := time.Now()
	watch(viewers[2], popular, false)
	t.Logf("with the publisher gone, %s played whole from the volunteers in %v (%.1f MiB served by them)",
		name[popular], time.Since(playStart).Round(time.Millisecond), float64(served()-before)/mib)
	if served()-before < seedSize {
		t.Errorf("the volunteers served %d bytes of the %d the viewer read", served()-before, seedSize)
	}

	var peaks []string
	for i, stop := range stopSampling {
		peak, samples := stop()
		peaks = append(peaks, fmt.Sprintf("volunteer %d: peak %.1f MiB of quota %.1f MiB + 16 (%d samples)",
			i, float64(peak)/mib, float64(quotas[i])/mib, samples))
		if peak > quotas[i]+library.QuotaSlack {
			t.Errorf("volunteer %d's repo reached %.1f MiB, above its quota %.1f MiB + 16 MiB", i, float64(peak)/mib, float64(quotas[i])/mib)
		}
	}
	t.Logf("disk use: %v", peaks)

	// Phase 5: eviction and GC give the space back (the quota changes, so
	// the sampling above has stopped).
	vol := volunteers[0]
	stopVolunteers[0]() // its rounds run by hand from here
	held := vol.holds(t, ctx)
	duBefore, err := node.DiskUsage(vol.n.RepoDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := vol.k.SetQuota(ctx, 0); err != nil {
		t.Fatal(err)
	}
	rep, err := vol.a.Round(ctx)
	if err != nil || len(rep.Dropped) != len(held) {
		t.Fatalf("round under a zero quota: %+v, %v; want the %d held videos dropped", rep, err, len(held))
	}
	if _, err := vol.n.GC(ctx); err != nil {
		t.Fatal(err)
	}
	duAfter, err := node.DiskUsage(vol.n.RepoDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("quota 0: %d videos dropped; disk use %.1f → %.1f MiB after eviction and GC", len(rep.Dropped),
		float64(duBefore)/mib, float64(duAfter)/mib)
	if drop := duBefore - duAfter; drop < int64(len(held))*seedSize*3/4 {
		t.Errorf("disk use fell by %.1f MiB after evicting %d videos of 8 MiB", float64(drop)/mib, len(held))
	}
	t.Logf("whole run: %.1f s", time.Since(began).Seconds())
}
