package library_test

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/ipfs-tube/ipfs-tube/internal/nodelib"
	"github.com/ipfs-tube/ipfs-tube/library"
	"github.com/ipfs-tube/ipfs-tube/node"
)

// seedSize is the test videos' size: eight 1 MiB blocks.
const seedSize = 8 * mib

// seedNode adapts a real node to library.SeedNode as the app does for
// pins, blocks and sizes. Demand, gossip and provider counts come from the
// test (the node parts that produce them are built separately); the test
// sets them per video.
type seedNode struct {
	n *node.Node

	mu         sync.Mutex
	demand     map[cid.Cid]library.VideoDemand
	heard      map[cid.Cid]library.HeardVideo
	providers  map[cid.Cid]int
	announced  [][]library.Announcement
	lookups    int // FileSize and CountProviders calls: network lookups
	indexCalls int
}

var _ library.SeedNode = (*seedNode)(nil)

func newSeedNode(n *node.Node) *seedNode {
	return &seedNode{n: n, demand: map[cid.Cid]library.VideoDemand{},
		heard: map[cid.Cid]library.HeardVideo{}, providers: map[cid.Cid]int{}}
}

func (s *seedNode) store() nodelib.Store { return nodelib.Store{N: s.n} }
func (s *seedNode) Pin(ctx context.Context, c cid.Cid) error {
	return nodelib.Seed{Store: s.store()}.Pin(ctx, c) // the app's adapter: download cap, disk full
}
func (s *seedNode) Unpin(ctx context.Context, c cid.Cid) error { return s.n.Unpin(ctx, c) }
func (s *seedNode) IsPinned(ctx context.Context, c cid.Cid) (bool, error) {
	return s.n.IsPinned(ctx, c)
}
func (s *seedNode) Evict(ctx context.Context, roots ...cid.Cid) (int64, error) {
	return s.store().Evict(ctx, roots...)
}
func (s *seedNode) LocalBytes(ctx context.Context, c cid.Cid) (int64, error) {
	ranges, err := s.n.LocalRanges(ctx, c)
	var sum int64
	for _, r := range ranges {
		sum += r.End - r.Start
	}
	return sum, err
}
func (s *seedNode) FileSize(ctx context.Context, c cid.Cid) (int64, error) {
	s.mu.Lock()
	s.lookups++
	s.mu.Unlock()
	f, err := s.n.Open(ctx, c, node.ReadAhead(0))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return f.Size(), nil
}
func (s *seedNode) IndexVideo(context.Context, cid.Cid) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.indexCalls++
	return nil
}
func (s *seedNode) Demand() map[cid.Cid]library.VideoDemand {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[cid.Cid]library.VideoDemand{}
	for c, d := range s.demand {
		out[c] = d
	}
	return out
}
func (s *seedNode) Heard() map[cid.Cid]library.HeardVideo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[cid.Cid]library.HeardVideo{}
	for c, h := range s.heard {
		out[c] = h
	}
	return out
}
func (s *seedNode) CountProviders(_ context.Context, c cid.Cid, max int) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lookups++
	return min(s.providers[c], max), nil
}
func (s *seedNode) Announce(_ context.Context, entries []library.Announcement) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.announced = append(s.announced, slices.Clone(entries))
	return nil
}

// hear sets the gossip demand for c to viewings of a seedSize video per
// minute, the default round interval: one round counts them once. The
// rate is in 1 MiB block wants, so viewings round to eighths.
func (s *seedNode) hear(c cid.Cid, viewings float64, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	wants := math.Round(viewings * float64(seedSize/mib))
	s.heard[c] = library.HeardVideo{WantsPerSecond: wants / library.DefaultSeedInterval.Seconds(), LastHeard: at}
}

func (s *seedNode) announcements() [][]library.Announcement {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.announced)
}

func (s *seedNode) lookupCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lookups
}

// testClock is the engine's clock, stepped by the test.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// seedRig is a publisher holding videos and a volunteer (node, catalog in
// its repo as the app lays it out, Keeper, in-test demand sources) that
// runs the engine.
type seedRig struct {
	t         *testing.T
	ctx       context.Context
	pub       *node.Node
	videos    []cid.Cid
	dir       string // the volunteer's parent directory
	repo      string
	vol       *node.Node
	cat       *library.Catalog
	keeper    *library.Keeper
	src       *seedNode
	clock     *testClock
	seedCount uint64
}

func newSeedRig(t *testing.T, videos int) *seedRig {
	t.Helper()
	ctx := context.Background()
	pub, err := node.New(ctx, node.Config{Repo: filepath.Join(t.TempDir(), "pub"), Isolated: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pub.Close() })
	if err := pub.Start(ctx); err != nil {
		t.Fatal(err)
	}
	r := &seedRig{t: t, ctx: ctx, pub: pub, dir: t.TempDir(),
		clock: &testClock{now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}}
	for range videos {
		r.videos = append(r.videos, r.publish())
	}
	r.repo = filepath.Join(r.dir, "repo")
	r.openVolunteer()
	return r
}

// publish imports a new seedSize video on the publisher.
func (r *seedRig) publish() cid.Cid {
	r.t.Helper()
	r.seedCount++
	res, err := r.pub.Import(r.ctx, newRandom(1000+r.seedCount, seedSize))
	if err != nil {
		r.t.Fatal(err)
	}
	return res.Cid
}

// openVolunteer (re)opens the volunteer's node, catalog and Keeper and
// connects it to the publisher. The Keeper's quota is large until
// budgetFor sets it.
func (r *seedRig) openVolunteer() {
	r.t.Helper()
	vol, err := node.New(r.ctx, node.Config{Repo: r.repo, Isolated: true})
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { vol.Close() })
	if err := vol.Start(r.ctx); err != nil {
		r.t.Fatal(err)
	}
	if err := vol.Connect(r.ctx, peer.AddrInfo{ID: r.pub.ID(), Addrs: r.pub.Addrs()}); err != nil {
		r.t.Fatal(err)
	}
	cat, err := library.Open(r.ctx, filepath.Join(r.repo, "library"))
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { cat.Close() })
	// An eviction overhead equal to the slack makes the eviction target
	// the quota itself, so a budget of n videos is easy to set.
	k, err := library.NewKeeper(r.ctx, cat, nodelib.Store{N: vol},
		library.WithQuota(1<<30), library.WithEvictionOverhead(library.QuotaSlack), library.WithFreeFloor(0))
	if err != nil {
		r.t.Fatal(err)
	}
	old := r.src
	r.vol, r.cat, r.keeper, r.src = vol, cat, k, newSeedNode(vol)
	if old != nil {
		r.src.heard, r.src.demand, r.src.providers = old.heard, old.demand, old.providers
	}
}

// closeVolunteer closes the volunteer's catalog and node, as a quit does.
func (r *seedRig) closeVolunteer() {
	r.t.Helper()
	if err := r.cat.Close(); err != nil {
		r.t.Fatal(err)
	}
	if err := r.vol.Close(); err != nil {
		r.t.Fatal(err)
	}
}

// budgetFor sets the quota so that cache and auto-seeding have room for
// videos and a half of seedSize videos beyond what the repo holds now.
func (r *seedRig) budgetFor(videos float64) int64 {
	r.t.Helper()
	st, err := r.keeper.State(r.ctx)
	if err != nil {
		r.t.Fatal(err)
	}
	quota := st.Used - st.Cache + int64(videos*seedSize)
	if _, err := r.keeper.SetQuota(r.ctx, quota); err != nil {
		r.t.Fatal(err)
	}
	return quota
}

func (r *seedRig) engine(opts ...library.AutoSeedOption) *library.AutoSeeder {
	r.t.Helper()
	base := []library.AutoSeedOption{
		library.WithSeeding(true),
		library.WithSeedClock(r.clock.Now),
		library.WithHalfLife(1000 * time.Hour), // scores hold still unless a test decays them
		library.WithMinSeedScore(0.5),
		library.WithFetchTimeout(2 * time.Minute),
	}
	a, err := library.NewAutoSeeder(r.ctx, r.cat, r.keeper, r.src, append(base, opts...)...)
	if err != nil {
		r.t.Fatal(err)
	}
	return a
}

func (r *seedRig) round(a *library.AutoSeeder) library.RoundReport {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(r.ctx, 3*time.Minute)
	defer cancel()
	rep, err := a.Round(ctx)
	if err != nil {
		r.t.Fatalf("round: %v", err)
	}
	return rep
}

// burst moves the clock by d, lets gossip bring one announcement period
// of demand (in viewings) and runs a round; the announcements then expire,
// so the scores are the sums of the bursts.
func (r *seedRig) burst(a *library.AutoSeeder, d time.Duration, viewings map[cid.Cid]float64) library.RoundReport {
	r.t.Helper()
	r.clock.Advance(d)
	for c, v := range viewings {
		r.src.hear(c, v, r.clock.Now())
	}
	rep := r.round(a)
	r.src.mu.Lock()
	clear(r.src.heard)
	r.src.mu.Unlock()
	return rep
}

// seeded reports whether the volunteer auto-seeds c: marked in the
// catalog, pinned, and all its bytes local.
func (r *seedRig) seeded(c cid.Cid) bool {
	r.t.Helper()
	v, err := r.cat.Get(r.ctx, c)
	if errors.Is(err, library.ErrNotFound) {
		return false
	}
	if err != nil {
		r.t.Fatal(err)
	}
	pinned, err := r.vol.IsPinned(r.ctx, c)
	if err != nil {
		r.t.Fatal(err)
	}
	local := r.local(c)
	if v.Kept.Has(library.AutoSeeded) != pinned || (pinned && local != seedSize) {
		r.t.Fatalf("%s: catalog %v, pinned %v, %d bytes local: inconsistent", c, v.Kept, pinned, local)
	}
	return pinned
}

func (r *seedRig) local(c cid.Cid) int64 {
	r.t.Helper()
	n, err := r.src.LocalBytes(r.ctx, c)
	if err != nil {
		r.t.Fatal(err)
	}
	return n
}

func cidsEqual(got, want []cid.Cid) bool {
	return slices.EqualFunc(got, want, func(a, b cid.Cid) bool { return a.Equals(b) })
}

// Local watches, local demand and gossip each make a video popular; the
// best are fetched first, the rest wait for room.
func TestAutoSeedMostPopularFirst(t *testing.T) {
	r := newSeedRig(t, 4)
	watched, served, heard, idle := r.videos[0], r.videos[1], r.videos[2], r.videos[3]
	now := r.clock.Now()
	// Watched 4 times here (the blocks evicted since, so it is not local).
	if err := r.cat.Put(r.ctx, library.Video{Cid: watched, Title: "Watched", Size: seedSize,
		WatchCount: 4, FirstWatched: now.Add(-time.Hour), LastWatched: now.Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	r.src.demand[served] = library.VideoDemand{Wants: 3 * seedSize / mib, LastWant: now} // 3 viewings asked for
	r.src.hear(heard, 2, now)
	r.budgetFor(2.5)

	a := r.engine(library.WithFetchesPerRound(1))
	rep := r.round(a)
	if !cidsEqual(rep.Fetched, []cid.Cid{watched}) {
		t.Fatalf("first round fetched %v, want the most watched %s", rep.Fetched, watched)
	}
	scores := a.Scores()
	if len(scores) < 3 || !scores[0].Cid.Equals(watched) || !scores[1].Cid.Equals(served) || !scores[2].Cid.Equals(heard) {
		t.Fatalf("scores not ordered watched > served > heard: %+v", scores)
	}
	if s := scores[1]; s.LocalDemand < 2.99 || s.LocalDemand > 3.01 || s.Size != seedSize {
		t.Fatalf("served video scored %+v, want 3 viewings of local demand and its size learnt", s)
	}
	rep = r.round(a)
	if !cidsEqual(rep.Fetched, []cid.Cid{served}) {
		t.Fatalf("second round fetched %v, want %s", rep.Fetched, served)
	}
	rep = r.round(a) // no room for a third
	if len(rep.Fetched) != 0 || r.seeded(heard) || r.seeded(idle) {
		t.Fatalf("third round fetched %v with room for two", rep.Fetched)
	}
	if !r.seeded(watched) || !r.seeded(served) {
		t.Fatal("the two most popular videos are not seeded")
	}
	v, err := r.cat.Get(r.ctx, served)
	if err != nil {
		t.Fatal(err)
	}
	if v.Title != served.String() || v.BytesLocal != seedSize || v.AutoSeededAt().IsZero() {
		t.Fatalf("new entry for an auto-seeded video: %+v, want the CID as title, its bytes and a start time", v)
	}
	if v, _ := r.cat.Get(r.ctx, watched); v.Title != "Watched" || v.WatchCount != 4 {
		t.Fatalf("the existing entry lost its data: %+v", v)
	}
	for _, s := range a.Scores() {
		if s.Cid.Equals(idle) {
			t.Fatalf("a video nobody mentions was scored: %+v", s)
		}
	}
}

// Of two videos in equal demand the one with fewer providers goes first.
func TestAutoSeedFewerProvidersFirst(t *testing.T) {
	r := newSeedRig(t, 2)
	many, few := r.videos[0], r.videos[1]
	now := r.clock.Now()
	r.src.hear(many, 3, now)
	r.src.hear(few, 3, now)
	r.src.providers[many] = 4
	r.src.providers[few] = 1
	r.budgetFor(1.5)

	a := r.engine()
	rep := r.round(a)
	if !cidsEqual(rep.Fetched, []cid.Cid{few}) {
		t.Fatalf("fetched %v, want only the less replicated %s", rep.Fetched, few)
	}
	byCid := map[cid.Cid]library.VideoScore{}
	for _, s := range a.Scores() {
		byCid[s.Cid] = s
	}
	if s := byCid[few]; s.Providers != 1 || s.Score < 1.49 || s.Score > 1.51 {
		t.Fatalf("less replicated video scored %+v, want 3 viewings / (1+1)", s)
	}
	if s := byCid[many]; s.Providers != 4 || s.Score < 0.59 || s.Score > 0.61 || !s.Candidate {
		t.Fatalf("well replicated video scored %+v, want 3 / (1+4), still a candidate", s)
	}
}

// A better candidate replaces an auto-seeded video only when it beats it by
// the hysteresis factor and the video was kept the minimum keep time; the
// newcomer is then safe for its own keep time, so there is at most one
// swap per keep time.
func TestAutoSeedSwapHysteresisAndMinKeep(t *testing.T) {
	r := newSeedRig(t, 3)
	first, second, third := r.videos[0], r.videos[1], r.videos[2]
	r.budgetFor(1.5)
	a := r.engine(library.WithMinKeep(time.Hour), library.WithHysteresis(1.5))

	var swaps []time.Time
	step := func(d time.Duration, viewings map[cid.Cid]float64) library.RoundReport {
		t.Helper()
		rep := r.burst(a, d, viewings)
		if len(rep.Dropped) > 0 {
			swaps = append(swaps, r.clock.Now())
		}
		return rep
	}
	if rep := step(0, map[cid.Cid]float64{first: 2}); !cidsEqual(rep.Fetched, []cid.Cid{first}) {
		t.Fatalf("fetched %v, want %s", rep.Fetched, first)
	}
	// Better, but not by 1.5×: no swap even after the keep time.
	if rep := step(2*time.Hour, map[cid.Cid]float64{second: 2.875}); len(rep.Fetched)+len(rep.Dropped) != 0 {
		t.Fatalf("2.875 against 2 swapped: %+v", rep)
	}
	// Better by more than 1.5×, after the keep time: one swap.
	rep := step(time.Minute, map[cid.Cid]float64{second: 0.25})
	if !cidsEqual(rep.Dropped, []cid.Cid{first}) || !cidsEqual(rep.Fetched, []cid.Cid{second}) {
		t.Fatalf("3.125 against 2 after the keep time: %+v, want %s replaced by %s", rep, first, second)
	}
	if r.seeded(first) || r.local(first) != 0 || !r.seeded(second) {
		t.Fatal("the replaced video is still pinned or on disk, or the newcomer missing")
	}
	// The old one surges, and a third one too, at once; for the rest of
	// the keep time the newcomer stays.
	bursts := map[cid.Cid]float64{first: 48, third: 40}
	for range 5 {
		if rep := step(10*time.Minute, bursts); len(rep.Dropped) != 0 {
			t.Fatalf("swapped again %v after the last swap: %+v", r.clock.Now().Sub(swaps[0]), rep)
		}
		bursts = nil
	}
	// The keep time is over: the best candidate takes the place.
	rep = step(10*time.Minute, nil)
	if !cidsEqual(rep.Dropped, []cid.Cid{second}) || !cidsEqual(rep.Fetched, []cid.Cid{first}) {
		t.Fatalf("after the keep time: %+v, want %s replaced by %s", rep, second, first)
	}
	for i := 1; i < len(swaps); i++ {
		if gap := swaps[i].Sub(swaps[i-1]); gap < time.Hour {
			t.Fatalf("swaps %v apart, less than the keep time", gap)
		}
	}
	if len(swaps) != 2 {
		t.Fatalf("%d swaps, want 2", len(swaps))
	}
}

// With room for two, two better candidates do not replace both at once:
// at most one swap per minimum keep time, although the second victim is
// past its own keep time too.
func TestAutoSeedOneSwapPerKeepTime(t *testing.T) {
	r := newSeedRig(t, 4)
	old1, old2, new1, new2 := r.videos[0], r.videos[1], r.videos[2], r.videos[3]
	r.budgetFor(2.5)
	a := r.engine(library.WithMinKeep(time.Hour))
	step := func(d time.Duration, viewings map[cid.Cid]float64) library.RoundReport {
		t.Helper()
		return r.burst(a, d, viewings)
	}
	if rep := step(0, map[cid.Cid]float64{old1: 2, old2: 2}); len(rep.Fetched) != 2 {
		t.Fatalf("fetched %v, want both", rep.Fetched)
	}
	// Both kept past the keep time; two candidates ten times better.
	rep := step(2*time.Hour, map[cid.Cid]float64{new1: 20, new2: 20})
	if len(rep.Dropped) != 1 || len(rep.Fetched) != 1 || !rep.Swapped {
		t.Fatalf("first swap: %+v, want one video replaced", rep)
	}
	for _, d := range []time.Duration{time.Minute, 30 * time.Minute, 28 * time.Minute} {
		if rep := step(d, nil); len(rep.Dropped)+len(rep.Fetched) != 0 {
			t.Fatalf("swapped again 59 min or less after the last swap: %+v", rep)
		}
	}
	rep = step(time.Minute, nil)
	if len(rep.Dropped) != 1 || len(rep.Fetched) != 1 || !rep.Swapped {
		t.Fatalf("an hour after the first swap: %+v, want the second", rep)
	}
	if !r.seeded(new1) || !r.seeded(new2) || r.seeded(old1) || r.seeded(old2) {
		t.Fatal("the two better videos are not the ones seeded")
	}
}

// However popular the candidates, the repo stays within quota + slack, and
// a shrinking quota sheds auto-seeded videos, lowest score first, keep
// time or not.
func TestAutoSeedRespectsQuota(t *testing.T) {
	r := newSeedRig(t, 5)
	for i, c := range r.videos {
		r.src.hear(c, float64(10-i), r.clock.Now())
	}
	quota := r.budgetFor(3.5)
	stop := sampleDiskUsage(t, r.repo, 5*time.Millisecond)
	a := r.engine(library.WithFetchesPerRound(5), library.WithMinKeep(time.Hour))
	rep := r.round(a)
	r.round(a)
	peak, samples := stop()
	if len(rep.Fetched) != 3 {
		t.Fatalf("fetched %v, want the 3 that fit", rep.Fetched)
	}
	for i, c := range r.videos {
		if r.seeded(c) != (i < 3) {
			t.Fatalf("video %d seeded %v: want the three best", i, r.seeded(c))
		}
	}
	t.Logf("quota %d MiB, peak %.1f MiB over %d samples", quota/mib, float64(peak)/mib, samples)
	if peak > quota+library.QuotaSlack {
		t.Fatalf("repo peaked at %d bytes, above quota %d + slack", peak, quota)
	}

	// Room for one and a half now: the two lowest go at once.
	st, err := r.keeper.State(r.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.keeper.SetQuota(r.ctx, st.Used-st.Cache+seedSize*3/2); err != nil {
		t.Fatal(err)
	}
	rep = r.round(a)
	if !cidsEqual(rep.Dropped, []cid.Cid{r.videos[2], r.videos[1]}) || len(rep.Fetched) != 0 || rep.Swapped {
		t.Fatalf("after the quota shrank: %+v, want videos 2 then 1 dropped", rep)
	}
	if !r.seeded(r.videos[0]) || r.seeded(r.videos[1]) || r.seeded(r.videos[2]) {
		t.Fatal("the best video should be the only one left")
	}
}

// Own uploads and user pins are never unpinned or evicted: not to make
// room, not when the quota is full of them, not when auto-seeding stops;
// a user pin on an auto-seeded video takes it over.
func TestAutoSeedLeavesUserVideosAlone(t *testing.T) {
	r := newSeedRig(t, 3)
	pinnedByUser, popular, adopted := r.videos[0], r.videos[1], r.videos[2]
	up, err := r.vol.Import(r.ctx, newRandom(7, seedSize))
	if err != nil {
		t.Fatal(err)
	}
	upload := up.Cid
	if err := r.cat.Put(r.ctx, library.Video{Cid: upload, Title: "Mine", Size: seedSize, BytesLocal: seedSize, Kept: library.OwnUpload}); err != nil {
		t.Fatal(err)
	}
	if err := r.vol.Pin(r.ctx, pinnedByUser); err != nil {
		t.Fatal(err)
	}
	if err := r.cat.Put(r.ctx, library.Video{Cid: pinnedByUser, Title: "Kept", Size: seedSize, BytesLocal: seedSize, Kept: library.Pinned}); err != nil {
		t.Fatal(err)
	}
	r.budgetFor(1.5)
	// The adopted video gets auto-seeded, then the user pins it.
	r.src.hear(adopted, 5, r.clock.Now())
	a := r.engine(library.WithMinKeep(0))
	if rep := r.round(a); !cidsEqual(rep.Fetched, []cid.Cid{adopted}) {
		t.Fatalf("fetched %v, want %s", rep.Fetched, adopted)
	}
	if _, err := r.cat.SetKept(r.ctx, adopted, library.Pinned, true); err != nil {
		t.Fatal(err)
	}
	// A far more popular video, no room, and the user's videos scoring
	// nothing: they are still not victims.
	r.src.hear(popular, 100, r.clock.Now())
	r.clock.Advance(time.Hour)
	rep := r.round(a)
	if len(rep.Fetched) != 0 || len(rep.Dropped) != 0 {
		t.Fatalf("made room among the user's videos: %+v", rep)
	}
	// The quota shrinks below what the user keeps, and auto-seeding stops.
	if _, err := r.keeper.SetQuota(r.ctx, 0); err != nil {
		t.Fatal(err)
	}
	r.round(a)
	a.SetEnabled(false)
	r.round(a)
	for _, c := range []cid.Cid{upload, pinnedByUser, adopted} {
		pinned, err := r.vol.IsPinned(r.ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		if !pinned || r.local(c) != seedSize {
			t.Fatalf("%s lost its pin or blocks (pinned %v, %d bytes)", c, pinned, r.local(c))
		}
	}
	if v, _ := r.cat.Get(r.ctx, adopted); v.Kept != library.Pinned {
		t.Fatalf("adopted video kept as %v, want pinned only", v.Kept)
	}
	if r.local(popular) != 0 {
		t.Fatal("the popular video was fetched without room")
	}
}

// A restart in the middle of a fetch resumes it, fetching only what is
// missing; a restart after it keeps pins and fetches nothing.
func TestAutoSeedRestartResumes(t *testing.T) {
	r := newSeedRig(t, 2)
	done, cut := r.videos[0], r.videos[1]
	r.src.hear(done, 10, r.clock.Now())
	r.budgetFor(2.5)
	a := r.engine(library.WithFetchesPerRound(1))
	if rep := r.round(a); !cidsEqual(rep.Fetched, []cid.Cid{done}) {
		t.Fatalf("fetched %v, want %s", rep.Fetched, done)
	}

	// The publisher serves slowly; the fetch of cut is stopped halfway.
	r.pub.SetUploadLimit(2 * mib)
	r.src.hear(cut, 5, r.clock.Now())
	ctx, cancel := context.WithCancel(r.ctx)
	roundDone := make(chan error, 1)
	go func() {
		_, err := a.Round(ctx)
		roundDone <- err
	}()
	deadline := time.Now().Add(60 * time.Second)
	for r.local(cut) < 5*mib {
		if time.Now().After(deadline) {
			t.Fatalf("fetch did not progress: %d bytes", r.local(cut))
		}
		select {
		case err := <-roundDone:
			t.Fatalf("round ended before the cut: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	cancel()
	if err := <-roundDone; !errors.Is(err, context.Canceled) {
		t.Fatalf("cut round: %v, want canceled", err)
	}
	localAtCut := r.local(cut)
	volID := r.vol.ID()
	// Lifted before the close, so the blocks the publisher had committed
	// to send (bitswap's per-peer outstanding bytes, 4 MiB) go out to the
	// old connection rather than after the restart.
	r.pub.SetUploadLimit(0)
	r.closeVolunteer()
	// The reopened node has the same identity: the publisher must have
	// dropped the old connection (and the wants that came with it), or it
	// would answer them on the new one and the count would show those.
	for slices.Contains(r.pub.Peers(), volID) {
		if time.Now().After(deadline) {
			t.Fatal("the publisher still sees the closed volunteer")
		}
		<-time.After(20 * time.Millisecond)
	}

	r.openVolunteer()
	sentBefore := r.pub.BytesUploaded()
	if r.local(cut) != localAtCut {
		t.Fatalf("reopened repo holds %d bytes of the cut video, had %d", r.local(cut), localAtCut)
	}
	b := r.engine(library.WithFetchesPerRound(1))
	rep := r.round(b)
	if !cidsEqual(rep.Resumed, []cid.Cid{cut}) || len(rep.Fetched) != 0 {
		t.Fatalf("after restart: %+v, want %s resumed and nothing else", rep, cut)
	}
	resent := r.pub.BytesUploaded() - sentBefore
	t.Logf("cut at %.1f MiB of %d; resuming fetched %.1f MiB", float64(localAtCut)/mib, seedSize/mib, float64(resent)/mib)
	// What was missing, plus at most what the publisher had committed to
	// send before the cut (4 MiB) should those sends land after the
	// restart; a refetch of what was local would exceed it.
	if missing := seedSize - localAtCut; resent > missing+4*mib {
		t.Fatalf("resume fetched %d bytes, %d were missing", resent, missing)
	}
	if !r.seeded(done) || !r.seeded(cut) {
		t.Fatal("a video is not seeded after resuming")
	}

	// A restart after all is done fetches nothing and keeps the pins.
	r.closeVolunteer()
	r.openVolunteer()
	sentBefore = r.pub.BytesUploaded()
	c := r.engine()
	rep = r.round(c)
	if len(rep.Fetched)+len(rep.Resumed)+len(rep.Dropped)+len(rep.Demoted) != 0 {
		t.Fatalf("second restart changed things: %+v", rep)
	}
	if sent := r.pub.BytesUploaded() - sentBefore; sent != 0 {
		t.Fatalf("second restart fetched %d bytes", sent)
	}
	if !r.seeded(done) || !r.seeded(cut) {
		t.Fatal("pins lost over a restart")
	}
}

// Private mode auto-seeds nothing, announces nothing and looks nothing up
// on the network; turning it on hands auto-seeded videos to the cache.
func TestAutoSeedPrivate(t *testing.T) {
	r := newSeedRig(t, 2)
	before, popular := r.videos[0], r.videos[1]
	r.src.hear(before, 5, r.clock.Now())
	r.budgetFor(2.5)
	a := r.engine()
	if rep := r.round(a); !cidsEqual(rep.Fetched, []cid.Cid{before}) || rep.Announced != 1 {
		t.Fatalf("public round: %+v, want %s fetched and announced", rep, before)
	}
	announcements, lookups := len(r.src.announcements()), r.src.lookupCount()

	a.SetPrivate(true)
	r.src.hear(popular, 50, r.clock.Now())
	rep := r.round(a)
	if !cidsEqual(rep.Demoted, []cid.Cid{before}) || len(rep.Fetched) != 0 || rep.Message == "" {
		t.Fatalf("private round: %+v, want the seeded video demoted, nothing fetched, a message", rep)
	}
	r.round(a)
	if n := len(r.src.announcements()); n != announcements {
		t.Fatalf("%d announcements in private mode", n-announcements)
	}
	if n := r.src.lookupCount(); n != lookups {
		t.Fatalf("%d network lookups in private mode", n-lookups)
	}
	if r.local(popular) != 0 {
		t.Fatal("private mode fetched a video")
	}
	pinned, err := r.vol.IsPinned(r.ctx, before)
	if err != nil {
		t.Fatal(err)
	}
	v, err := r.cat.Get(r.ctx, before)
	if err != nil {
		t.Fatal(err)
	}
	if pinned || v.Kept != library.Cache || v.BytesLocal != seedSize || r.local(before) != seedSize {
		t.Fatalf("demoted video: pinned %v, kept %v, %d bytes: want unpinned cache still on disk", pinned, v.Kept, v.BytesLocal)
	}
	// Scores still come from what is known locally.
	if s := a.Scores(); len(s) == 0 || !s[0].Cid.Equals(popular) {
		t.Fatalf("private scores: %+v", s)
	}
}

// Announcements list the videos served with the demand of the last
// window (10 minutes): every announcement repeats what happened within
// it, so one lost on the way loses nothing. Cached videos are not
// announced; a node restart starts the counts again.
func TestAutoSeedAnnouncesWindowedDemand(t *testing.T) {
	r := newSeedRig(t, 1)
	cached := r.videos[0]
	up, err := r.vol.Import(r.ctx, newRandom(9, seedSize))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.cat.Put(r.ctx, library.Video{Cid: up.Cid, Title: "Mine", Size: seedSize, BytesLocal: seedSize, Kept: library.OwnUpload}); err != nil {
		t.Fatal(err)
	}
	if err := r.cat.Put(r.ctx, library.Video{Cid: cached, Size: seedSize, BytesLocal: mib, Kept: library.Cache}); err != nil {
		t.Fatal(err)
	}
	a := r.engine(library.WithSeeding(false))
	const w = library.DefaultAnnounceWindow
	for i, step := range []struct {
		after        time.Duration // since the previous round
		wants, bytes int64         // the node's cumulative counters
		announced    library.Announcement
		why          string
	}{
		{0, 10, 9 * mib, library.Announcement{Wants: 10, BytesServed: 9 * mib, Window: w}, "all since the start"},
		{time.Minute, 14, 12 * mib, library.Announcement{Wants: 14, BytesServed: 12 * mib, Window: w}, "still within the first window"},
		{9 * time.Minute, 14, 12 * mib, library.Announcement{Wants: 4, BytesServed: 3 * mib, Window: w}, "since the first round, a window ago"},
		{7 * time.Minute, 20, 15 * mib, library.Announcement{Wants: 6, BytesServed: 3 * mib, Window: 16 * time.Minute}, "since the second round: the span it covers"},
		{23 * time.Minute, 20, 15 * mib, library.Announcement{Window: 23 * time.Minute}, "nothing new"},
		{time.Minute, 3, mib, library.Announcement{Wants: 3, BytesServed: mib, Window: w}, "the node restarted"},
	} {
		r.clock.Advance(step.after)
		r.src.mu.Lock()
		r.src.demand[up.Cid] = library.VideoDemand{Wants: step.wants, BytesSent: step.bytes, LastWant: r.clock.Now()}
		r.src.mu.Unlock()
		r.round(a)
		all := r.src.announcements()
		want := step.announced
		want.Video = up.Cid
		if got := all[len(all)-1]; len(all) != i+1 || len(got) != 1 || got[0] != want {
			t.Fatalf("round %d (%s): announced %+v, want %+v", i, step.why, got, want)
		}
	}
}

// Run rounds until cancelled, and SetEnabled starts one at once.
func TestAutoSeedRun(t *testing.T) {
	r := newSeedRig(t, 1)
	r.src.hear(r.videos[0], 5, r.clock.Now())
	a := r.engine(library.WithSeeding(false), library.WithSeedInterval(time.Hour), library.WithAnnounceWindow(time.Hour))
	ctx, cancel := context.WithCancel(r.ctx)
	ran := make(chan error, 1)
	go func() { ran <- a.Run(ctx) }()
	waitFor(t, "the first round", func() bool { return !a.LastRound().At.IsZero() })
	if msg := a.LastRound().Message; msg == "" {
		t.Fatal("first round of a disabled engine gave no message")
	}
	a.SetEnabled(true)
	waitFor(t, "a round after SetEnabled(true) to fetch", func() bool {
		return len(a.LastRound().Fetched) == 1
	})
	cancel()
	if err := <-ran; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v", err)
	}
	if !r.seeded(r.videos[0]) {
		t.Fatal("not seeded")
	}
}

// waitFor polls cond until it holds, failing after 30 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-time.After(10 * time.Millisecond)
	}
}

func TestAutoSeedBadOptions(t *testing.T) {
	r := newSeedRig(t, 0)
	for _, o := range []library.AutoSeedOption{
		library.WithHysteresis(0.9), library.WithSeedInterval(0), library.WithMinKeep(-1),
		library.WithHalfLife(0), library.WithFetchesPerRound(-1), library.WithAnnounceWindow(time.Second),
		library.WithMaxTracked(0),
	} {
		if _, err := library.NewAutoSeeder(r.ctx, r.cat, r.keeper, r.src, o); !errors.Is(err, library.ErrInvalid) {
			t.Fatalf("bad option accepted: %v", err)
		}
	}
	if _, err := library.NewAutoSeeder(r.ctx, r.cat, nil, r.src); !errors.Is(err, library.ErrInvalid) {
		t.Fatalf("nil keeper accepted: %v", err)
	}
}
