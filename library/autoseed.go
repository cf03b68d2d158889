package library

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipfs/go-cid"
)

// SeedNode is what the AutoSeeder needs from the node. The app adapts
// *node.Node to it; every method takes and returns plain values.
type SeedNode interface {
	// Pin fetches the whole DAG under c (only the blocks that are not
	// local) and pins it; the node then provides it. An error wrapping
	// ErrDiskFull means the disk filled: the round fetches nothing more
	// and says so.
	Pin(ctx context.Context, c cid.Cid) error
	// Unpin removes the pin on c; the blocks stay until evicted.
	Unpin(ctx context.Context, c cid.Cid) error
	// Evict deletes the local blocks under roots that no pin holds and
	// returns the bytes freed.
	Evict(ctx context.Context, roots ...cid.Cid) (freed int64, err error)
	// IsPinned reports whether the node pins c.
	IsPinned(ctx context.Context, c cid.Cid) (bool, error)
	// LocalBytes is how many of the file c's bytes are stored locally
	// (node.LocalRanges summed), asking no peer.
	LocalBytes(ctx context.Context, c cid.Cid) (int64, error)
	// FileSize is the size of the file c, fetching its root block from
	// peers when needed.
	FileSize(ctx context.Context, c cid.Cid) (int64, error)
	// IndexVideo maps the local blocks under root to it, so demand for
	// them counts for the video. Cheap to repeat.
	IndexVideo(ctx context.Context, root cid.Cid) error
	// Demand is what the bitswap server saw per video since the node
	// started (cumulative).
	Demand() map[cid.Cid]VideoDemand
	// Heard is what other nodes announced per video: their latest
	// announcements' demand as rates.
	Heard() map[cid.Cid]HeardVideo
	// CountProviders asks the DHT how many nodes other than this one
	// provide c, stopping at max.
	CountProviders(ctx context.Context, c cid.Cid, max int) (int, error)
	// Announce publishes which videos this node serves and the demand it
	// saw for them over each entry's window.
	Announce(ctx context.Context, entries []Announcement) error
	// PinnedFiles lists up to max files (not directories) the node pins
	// recursively, with their sizes, reading local blocks only.
	PinnedFiles(ctx context.Context, max int) ([]PinnedFile, error)
}

// RoundReport says what one round did.
type RoundReport struct {
	At time.Time `json:"at"`
	// Fetched were fetched and pinned; Resumed were auto-seeded before and
	// had to be pinned again (an interrupted fetch); Dropped were unpinned
	// and evicted (replaced by better ones, or over the quota); Demoted
	// were handed to the cache because auto-seeding is off or private.
	Fetched, Resumed, Dropped, Demoted []cid.Cid `json:",omitempty"`
	// Swapped says some of Dropped made room for a better candidate (at
	// most one such swap per minimum keep time); the rest went because
	// auto-seeded videos no longer fitted the quota.
	Swapped bool `json:"swapped,omitempty"`
	// Announced is how many videos the announcement listed.
	Announced int `json:"announced"`
	// Message tells the user why nothing is seeded, when something stops
	// it; empty when all is well.
	Message string `json:"message,omitempty"`
}

// AutoSeeder fetches and pins the videos the network most needs, within
// the storage quota, and announces what this node serves.
//
// # Score
//
// Each video (file CID) gets a heat in viewings: one viewing is a whole
// copy watched here, served or asked for by peers, or reported by others.
// With blocks = ceil(size / 1 MiB) (1 while the size is unknown):
//
//	watches     = local viewings (catalog WatchCount increments)
//	localDemand = max(bytes our node served / size, wants it received / blocks)
//	heardDemand = max(bytes others announced serving / size, wants they announced / blocks)
//	heat        = watches + localDemand + heardDemand
//	score       = heat / (1 + providers)
//
// Each part is a sum of events, each decayed by 2^(−age / half-life) (6 h
// by default). Local demand comes from the node's cumulative counters,
// taken as increments from round to round. Gossip reports, per video, the
// demand other nodes saw over their announcement windows (the last 10
// minutes by default), as a rate: each round adds it times the time since
// the last round (a newly heard video counts one round interval). An
// event stays in its announcer's window for one window, so integrated it
// adds up to itself once, and a lost announcement loses nothing the next
// one carries again.
// providers is how many other nodes serve the video: the larger of the
// DHT's count (stopping at 8, refreshed every 30 min) and the peers
// announcing it, 0 while unknown. So of two videos equally in demand the
// one with fewer copies ranks first.
//
// # Rounds
//
// Each round (every minute by default) computes the scores and announces
// the videos this node serves (own uploads, pins, auto-seeded ones) with
// the demand seen over the announcement window (from the counters the
// rounds sampled: since the newest sample at least a window old, with the
// span it really covers; since the node started while no sample is that
// old). Then, when auto-seeding is on and private mode off:
//   - auto-seeded videos the node does not pin (a fetch cut short by a
//     restart) are pinned again, which fetches only what is missing;
//   - when auto-seeded videos alone exceed the cache budget (the quota
//     shrank, uploads grew), the lowest-scoring ones are dropped, whatever
//     their keep time: the quota comes first;
//   - candidates (videos in the catalog or heard of that are not own
//     uploads, pins or auto-seeded, scoring at least the minimum) are taken
//     best first: room is reserved with the Keeper (which may evict
//     watched cache, least recently watched first), the catalog entry is
//     marked AutoSeeded (created if missing), the video is pinned, the
//     reservation released;
//   - when the quota has no room, the lowest-scoring auto-seeded videos
//     kept at least the minimum keep time are unpinned and evicted to make
//     room, only if the candidate's score exceeds theirs together by the
//     hysteresis factor; at most one such swap per minimum keep time
//     (after a restart the newest auto-seeded video counts as swapped
//     in), and a video fetched now cannot be replaced before its minimum
//     keep time either.
//
// Own uploads and user pins are never touched. With auto-seeding off or in
// private mode, auto-seeded videos are demoted to cache: unpinned but left
// on disk and served until the Keeper needs the room. Paused (SetPaused:
// the Pause button, or outside the seeding hours), they stay pinned and
// rounds fetch, drop and announce nothing; a fetch under way stops and is
// finished after resuming.
//
// # State
//
// All state that matters lives in the catalog (the AutoSeeded keep reason
// and Video.AutoSeededAt) and the node's pins, so a restart resumes: a
// video is marked before it is fetched, and the next round pins whatever
// is marked and not pinned. Popularity sums live in memory and restart from
// the catalog's watch counts and the node's counters.
//
// Peers choose which CIDs they announce, and a sum takes about ten
// half-lives to fade, so the sums of videos known only from the network
// are capped (WithMaxTracked, DefaultMaxTracked): past the cap the
// coldest are forgotten (a video heard of again starts afresh). The
// other per-video tables follow what is scored (the catalog, the node's
// demand, what gossip reports now, which the node bounds, and the
// tracked sums) or what one round looks up.
//
// All methods are safe for concurrent use; rounds run one at a time.
type AutoSeeder struct {
	cat    *Catalog
	keeper *Keeper
	node   SeedNode
	cfg    seedConfig
	log    *slog.Logger

	enabled, private atomic.Bool
	kick             chan struct{}

	// paused is set under fetchMu, which also guards stopFetch: the
	// cancel of the fetch under way, so pausing cuts it short.
	paused    atomic.Bool
	fetchMu   sync.Mutex
	stopFetch context.CancelFunc

	roundMu sync.Mutex // one round at a time; guards the fields below
	pop     map[cid.Cid]*popularity
	sizes   map[cid.Cid]int64
	provs   map[cid.Cid]providerCount
	indexed map[cid.Cid]int64 // local bytes when last indexed
	failed  map[cid.Cid]time.Time
	// lastSwap is when the last swap happened (see seed); swapKnown says
	// it was set up from the catalog.
	lastSwap  time.Time
	swapKnown bool
	// announced is the node's demand counters per served video as the
	// rounds of the last window saw them, oldest first.
	announced map[cid.Cid][]demandSample

	mu     sync.Mutex // guards the snapshot below
	scores []VideoScore
	last   RoundReport
}

type providerCount struct {
	n  int
	at time.Time
}

// NewAutoSeeder returns an AutoSeeder for the videos of cat, keeping
// within keeper's quota, on node. It does no I/O; call Run.
func NewAutoSeeder(ctx context.Context, cat *Catalog, keeper *Keeper, node SeedNode, opts ...AutoSeedOption) (*AutoSeeder, error) {
	cfg := seedConfig{
		interval:        DefaultSeedInterval,
		halfLife:        DefaultSeedHalfLife,
		minKeep:         DefaultMinKeep,
		hysteresis:      DefaultHysteresis,
		minScore:        DefaultMinSeedScore,
		fetchesPerRound: 2,
		fetchTimeout:    DefaultFetchTimeout,
		providerMaxAge:  DefaultProviderMaxAge,
		window:          DefaultAnnounceWindow,
		maxTracked:      DefaultMaxTracked,
		log:             slog.Default(),
		now:             time.Now,
	}
	for _, o := range opts {
		o(&cfg)
	}
	switch {
	case cat == nil || keeper == nil || node == nil:
		return nil, fmt.Errorf("library.NewAutoSeeder: %w: nil catalog, keeper or node", ErrInvalid)
	case cfg.interval <= 0 || cfg.halfLife <= 0 || cfg.fetchTimeout <= 0 || cfg.providerMaxAge <= 0:
		return nil, fmt.Errorf("library.NewAutoSeeder: %w: interval, half-life, fetch timeout and provider age must be positive", ErrInvalid)
	case cfg.window < cfg.interval:
		return nil, fmt.Errorf("library.NewAutoSeeder: %w: announcement window %v shorter than the round interval %v", ErrInvalid, cfg.window, cfg.interval)
	case cfg.minKeep < 0:
		return nil, fmt.Errorf("library.NewAutoSeeder: %w: negative minimum keep time %v", ErrInvalid, cfg.minKeep)
	case cfg.hysteresis < 1:
		return nil, fmt.Errorf("library.NewAutoSeeder: %w: hysteresis %v below 1 would thrash", ErrInvalid, cfg.hysteresis)
	case cfg.minScore < 0 || cfg.fetchesPerRound < 0:
		return nil, fmt.Errorf("library.NewAutoSeeder: %w: negative minimum score or fetches per round", ErrInvalid)
	case cfg.maxTracked <= 0:
		return nil, fmt.Errorf("library.NewAutoSeeder: %w: tracking at most %d videos", ErrInvalid, cfg.maxTracked)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("library.NewAutoSeeder: %w", err)
	}
	a := &AutoSeeder{
		cat: cat, keeper: keeper, node: node, cfg: cfg,
		log:       cfg.log.With("component", "autoseed"),
		kick:      make(chan struct{}, 1),
		pop:       map[cid.Cid]*popularity{},
		sizes:     map[cid.Cid]int64{},
		provs:     map[cid.Cid]providerCount{},
		indexed:   map[cid.Cid]int64{},
		failed:    map[cid.Cid]time.Time{},
		announced: map[cid.Cid][]demandSample{},
	}
	a.enabled.Store(cfg.enabled)
	a.private.Store(cfg.private)
	a.paused.Store(cfg.paused)
	return a, nil
}

// SetEnabled turns auto-seeding on or off; Run's next round starts at once.
// Off keeps scoring and announcing, fetches nothing and demotes what was
// auto-seeded to cache.
func (a *AutoSeeder) SetEnabled(on bool) {
	if a.enabled.Swap(on) != on {
		a.log.Info("auto-seeding", "enabled", on)
		a.poke()
	}
}

// Enabled reports whether auto-seeding is on.
func (a *AutoSeeder) Enabled() bool { return a.enabled.Load() }

// SetPrivate turns private mode on or off; Run's next round starts at once.
// Private means no auto-seeding at all (fetching others' videos and
// serving them is what private mode withholds), no announcements, and no
// DHT or peer lookups for scoring; scores still come from local watches
// and what gossip brings.
func (a *AutoSeeder) SetPrivate(on bool) {
	if a.private.Swap(on) != on {
		a.log.Info("private mode", "on", on)
		a.poke()
	}
}

// Private reports whether private mode is on.
func (a *AutoSeeder) Private() bool { return a.private.Load() }

// SetPaused pauses or resumes auto-seeding (the Pause button, or outside
// the seeding hours). Paused, a fetch under way stops at once, its video
// still marked auto-seeded so that the first round after resuming
// finishes it (fetching only what is missing); rounds keep scoring but
// fetch, drop, look up and announce nothing; what is auto-seeded stays
// pinned (unlike SetEnabled(false), which hands it to the cache), so a
// nightly schedule does not refetch every evening what it let go every
// morning.
func (a *AutoSeeder) SetPaused(on bool) {
	a.fetchMu.Lock()
	changed := a.paused.Swap(on) != on
	if on && a.stopFetch != nil {
		a.stopFetch()
	}
	a.fetchMu.Unlock()
	if changed {
		a.log.Info("auto-seeding", "paused", on)
		a.poke()
	}
}

// Paused reports whether auto-seeding is paused.
func (a *AutoSeeder) Paused() bool { return a.paused.Load() }

// fetchContext is ctx bounded by the fetch timeout and cut short by
// SetPaused(true); done must be called when the fetch ends.
func (a *AutoSeeder) fetchContext(ctx context.Context) (fctx context.Context, done func()) {
	fctx, cancel := context.WithTimeout(ctx, a.cfg.fetchTimeout)
	a.fetchMu.Lock()
	defer a.fetchMu.Unlock()
	if a.paused.Load() {
		cancel()
	}
	a.stopFetch = cancel
	return fctx, func() {
		a.fetchMu.Lock()
		a.stopFetch = nil
		a.fetchMu.Unlock()
		cancel()
	}
}

// errSeedingPaused ends a round's fetching when SetPaused cut it short.
var errSeedingPaused = errors.New("auto-seeding paused")

func (a *AutoSeeder) poke() {
	select {
	case a.kick <- struct{}{}:
	default:
	}
}

// Scores returns every scored video as the last round saw it, best first.
func (a *AutoSeeder) Scores() []VideoScore {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.scores)
}

// LastRound returns the report of the last round (zero before the first).
func (a *AutoSeeder) LastRound() RoundReport {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.last
}

// Run runs a round at once, then every interval and whenever SetEnabled or
// SetPrivate changes something, until ctx ends; it returns ctx's error.
// Failures are logged and retried at the next round.
func (a *AutoSeeder) Run(ctx context.Context) error {
	t := time.NewTicker(a.cfg.interval)
	defer t.Stop()
	for {
		if _, err := a.Round(ctx); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			a.log.Warn("auto-seeding round failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		case <-a.kick:
		}
	}
}

// Round runs one round now (Run calls it; tests and the CLI may too).
func (a *AutoSeeder) Round(ctx context.Context) (RoundReport, error) {
	a.roundMu.Lock()
	defer a.roundMu.Unlock()
	now := a.cfg.now()
	enabled, private, paused := a.enabled.Load(), a.private.Load(), a.paused.Load()
	rep := RoundReport{At: now}

	page, err := a.cat.List(ctx, ListOptions{})
	if err != nil {
		return rep, fmt.Errorf("library.AutoSeeder.Round: %w", err)
	}
	videos := make(map[cid.Cid]Video, len(page.Videos))
	for _, v := range page.Videos {
		videos[v.Cid] = v
	}
	pins := a.nodePins(ctx)
	withNodePins(videos, pins)
	demand, heard := a.node.Demand(), a.node.Heard()
	a.observe(now, videos, demand, heard)
	a.indexLocal(ctx, videos)

	scores := a.scoreAll(videos, heard)
	if !private && !paused {
		// Lookups go out to the network, which private mode withholds;
		// paused, nothing will be fetched that they would choose.
		if a.lookUp(ctx, now, scores) {
			scores = a.scoreAll(videos, heard)
		}
	}
	a.publish(scores, rep)

	switch {
	case private:
		rep.Message = "Private mode: nothing is auto-seeded or announced."
		rep.Demoted = a.demoteAll(ctx, videos)
	case !enabled:
		rep.Message = "Auto-seeding is off."
		rep.Demoted = a.demoteAll(ctx, videos)
	case paused:
		rep.Message = pausedMessage
	default:
		err = a.seed(ctx, now, videos, scores, &rep)
	}
	if len(rep.Demoted) > 0 || len(rep.Fetched) > 0 || len(rep.Dropped) > 0 || len(rep.Resumed) > 0 {
		// Keep and candidate flags changed: score and announce what is.
		if page, lerr := a.cat.List(ctx, ListOptions{}); lerr == nil {
			for _, v := range page.Videos {
				videos[v.Cid] = v
			}
			withNodePins(videos, pinsLeft(pins, rep))
			scores = a.scoreAll(videos, heard)
		}
	}
	if !private && !a.paused.Load() && ctx.Err() == nil {
		// After seeding, so what was just fetched is announced at once.
		// Paused, the node serves nothing, so it claims nothing.
		rep.Announced = a.announce(ctx, now, videos, demand)
	}
	a.publish(scores, rep)
	a.logRound(ctx, rep, scores, enabled && !private, err)
	if err != nil {
		return rep, fmt.Errorf("library.AutoSeeder.Round: %w", err)
	}
	return rep, nil
}

func (a *AutoSeeder) publish(scores []VideoScore, rep RoundReport) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.scores, a.last = scores, rep
}

// observe brings the popularity sums up to date and forgets what faded.
func (a *AutoSeeder) observe(now time.Time, videos map[cid.Cid]Video, demand map[cid.Cid]VideoDemand, heard map[cid.Cid]HeardVideo) {
	get := func(c cid.Cid) *popularity {
		p := a.pop[c]
		if p == nil {
			p = &popularity{}
			a.pop[c] = p
		}
		p.decayTo(now, a.cfg.halfLife)
		return p
	}
	for c, v := range videos {
		if v.WatchCount > 0 || a.pop[c] != nil {
			get(c).observeWatches(now, v, a.cfg.halfLife)
		}
	}
	for c, d := range demand {
		if d.Wants > 0 || d.BytesSent > 0 || a.pop[c] != nil {
			get(c).observeDemand(now, d, a.cfg.halfLife)
		}
	}
	for c, h := range heard {
		if h.WantsPerSecond > 0 || h.BytesPerSecond > 0 || a.pop[c] != nil {
			get(c).observeHeard(now, h, a.cfg.interval)
		}
	}
	for c, p := range a.pop {
		p.decayTo(now, a.cfg.halfLife)
		if _, ok := heard[c]; !ok {
			p.heardAt = time.Time{} // heard of again later: a new start
		}
		_, inCat := videos[c]
		_, inDemand := demand[c]
		// Baselines must outlive the sums while the counters still exist,
		// or the next round would count them again.
		if p.negligible() && !inCat && !inDemand {
			delete(a.pop, c)
		}
	}
	a.capTracked(videos, demand)
}

// capTracked keeps at most cfg.maxTracked videos known only from the
// network in the popularity table, dropping the coldest (ties: by CID,
// so rounds are repeatable). Catalog videos and those with local demand
// stay: their counters' baselines must outlive the sums, and what this
// machine holds bounds them.
func (a *AutoSeeder) capTracked(videos map[cid.Cid]Video, demand map[cid.Cid]VideoDemand) {
	if len(a.pop) <= a.cfg.maxTracked {
		return
	}
	type tracked struct {
		c    cid.Cid
		heat float64
	}
	var remote []tracked
	for c, p := range a.pop {
		_, inCat := videos[c]
		_, inDemand := demand[c]
		if !inCat && !inDemand {
			remote = append(remote, tracked{c, computeScore(scoreInputs{pop: p, size: a.sizes[c]}).Heat})
		}
	}
	over := len(remote) - a.cfg.maxTracked
	if over <= 0 {
		return
	}
	slices.SortFunc(remote, func(x, y tracked) int {
		return cmp.Or(cmp.Compare(x.heat, y.heat), cmp.Compare(x.c.KeyString(), y.c.KeyString()))
	})
	for _, e := range remote[:over] {
		delete(a.pop, e.c)
	}
	a.log.Debug("popularity table full: forgot the coldest videos heard of", "forgotten", over, "cap", a.cfg.maxTracked)
}

// indexLocal has the node index the blocks of local videos, so demand for
// them is attributed; again when a cached video's local bytes changed.
func (a *AutoSeeder) indexLocal(ctx context.Context, videos map[cid.Cid]Video) {
	for c, v := range videos {
		local := v.BytesLocal
		if local == 0 && v.Kept&(OwnUpload|Pinned|AutoSeeded) == 0 {
			continue
		}
		if done, ok := a.indexed[c]; ok && done == local {
			continue
		}
		if err := a.node.IndexVideo(ctx, c); err != nil {
			a.log.Debug("indexing a video's blocks", "cid", c, "err", err)
			continue
		}
		a.indexed[c] = local
	}
	for c := range a.indexed {
		if _, ok := videos[c]; !ok {
			delete(a.indexed, c)
		}
	}
}

// scoreAll scores every video in the catalog, heard of or with demand.
func (a *AutoSeeder) scoreAll(videos map[cid.Cid]Video, heard map[cid.Cid]HeardVideo) []VideoScore {
	seen := map[cid.Cid]bool{}
	var out []VideoScore
	add := func(c cid.Cid) {
		if seen[c] || !c.Defined() {
			return
		}
		seen[c] = true
		v, inCat := videos[c]
		in := scoreInputs{pop: a.pop[c], heard: heard[c], size: v.Size, providers: -1}
		if in.size <= 0 {
			in.size = a.sizes[c]
		}
		if pc, ok := a.provs[c]; ok {
			in.providers = pc.n
		}
		s := computeScore(in)
		s.Cid = c
		if inCat {
			s.Title, s.Kept = v.Title, v.Kept
			if v.Kept.Has(AutoSeeded) {
				s.SeededAt = v.AutoSeededAt()
			}
		}
		s.Candidate = a.policy().candidate(s)
		out = append(out, s)
	}
	for c := range videos {
		add(c)
	}
	for c := range heard {
		add(c)
	}
	for c := range a.pop {
		add(c)
	}
	sortScores(out)
	return out
}

// lookUp learns the sizes and provider counts the best candidates and the
// auto-seeded videos lack, within per-round bounds. It reports whether it
// learnt anything.
func (a *AutoSeeder) lookUp(ctx context.Context, now time.Time, scores []VideoScore) bool {
	var needSize, needProv []cid.Cid
	for _, s := range scores {
		interesting := s.Candidate || s.Kept.Has(AutoSeeded)
		if !interesting {
			continue
		}
		if s.Size <= 0 && len(needSize) < sizeQueries {
			if t, ok := a.failed[s.Cid]; !ok || now.After(t) {
				needSize = append(needSize, s.Cid)
			}
		}
		if pc, ok := a.provs[s.Cid]; (!ok || now.Sub(pc.at) >= a.cfg.providerMaxAge) && len(needProv) < providerQueries {
			needProv = append(needProv, s.Cid)
		}
	}
	if len(needSize) == 0 && len(needProv) == 0 {
		return false
	}
	type result struct {
		c      cid.Cid
		n      int
		isSize bool
		size64 int64
		err    error
	}
	results := make(chan result, len(needSize)+len(needProv))
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	run := func(fn func() result) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results <- fn()
		}()
	}
	for _, c := range needSize {
		run(func() result {
			lctx, cancel := context.WithTimeout(ctx, lookupTimeout)
			defer cancel()
			n, err := a.node.FileSize(lctx, c)
			return result{c: c, isSize: true, size64: n, err: err}
		})
	}
	for _, c := range needProv {
		run(func() result {
			lctx, cancel := context.WithTimeout(ctx, lookupTimeout)
			defer cancel()
			n, err := a.node.CountProviders(lctx, c, maxProviders)
			return result{c: c, n: n, err: err}
		})
	}
	wg.Wait()
	close(results)
	learnt := false
	for r := range results {
		switch {
		case r.isSize && (r.err != nil || r.size64 <= 0):
			// Nobody has it (yet): ask again in a few rounds.
			a.failed[r.c] = now.Add(5 * a.cfg.interval)
			a.log.Debug("video size unknown", "cid", r.c, "err", r.err)
		case r.isSize:
			a.sizes[r.c] = r.size64
			learnt = true
		case r.err != nil && r.n == 0:
			a.log.Debug("counting providers", "cid", r.c, "err", r.err)
		default:
			// A lookup cut short by its deadline still counted some.
			a.provs[r.c] = providerCount{n: r.n, at: now}
			learnt = true
		}
	}
	// Forget lookups about videos nobody mentions any more.
	known := map[cid.Cid]bool{}
	for _, s := range scores {
		known[s.Cid] = true
	}
	for c := range a.sizes {
		if !known[c] {
			delete(a.sizes, c)
		}
	}
	for c := range a.provs {
		if !known[c] {
			delete(a.provs, c)
		}
	}
	for c, t := range a.failed {
		if now.After(t) && !known[c] {
			delete(a.failed, c)
		}
	}
	return learnt
}

// autoSeeded lists the catalog's auto-seeded videos.
func autoSeeded(videos map[cid.Cid]Video) []Video {
	var out []Video
	for _, v := range videos {
		if v.Kept.Has(AutoSeeded) {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(x, y Video) int { return cmp.Compare(x.Cid.KeyString(), y.Cid.KeyString()) })
	return out
}

// demoteAll hands every auto-seeded video to the cache.
func (a *AutoSeeder) demoteAll(ctx context.Context, videos map[cid.Cid]Video) []cid.Cid {
	var done []cid.Cid
	for _, v := range autoSeeded(videos) {
		if err := a.release(ctx, v.Cid, false); err != nil {
			a.log.Warn("demoting an auto-seeded video", "cid", v.Cid, "err", err)
			continue
		}
		done = append(done, v.Cid)
	}
	if len(done) > 0 {
		a.log.Info("auto-seeded videos handed to the cache", "videos", len(done))
	}
	return done
}

// release stops auto-seeding c: it unpins it (unless the user pins it or
// uploaded it) and, with evict, deletes its blocks; without, they stay as
// cache. The pin goes before the catalog mark, so a crash in between
// leaves a marked, unpinned video, which the next round pins again
// (instead of a pin nobody owns, which nothing would ever remove).
func (a *AutoSeeder) release(ctx context.Context, c cid.Cid, evict bool) error {
	v, err := a.cat.Get(ctx, c)
	if err != nil {
		return err
	}
	userKeeps := v.Kept&(OwnUpload|Pinned) != 0
	if !userKeeps {
		if err := a.node.Unpin(ctx, c); err != nil {
			if pinned, perr := a.node.IsPinned(ctx, c); perr != nil || pinned {
				return err
			}
		}
	}
	local := int64(0)
	if evict && !userKeeps {
		if _, err := a.node.Evict(ctx, c); err != nil {
			return err
		}
	} else if n, err := a.node.LocalBytes(ctx, c); err == nil {
		local = n
	}
	_, err = a.cat.Update(ctx, c, func(v *Video) error {
		v.Kept &^= AutoSeeded
		v.setAutoSeededAt(time.Time{})
		if v.Kept&(OwnUpload|Pinned) != 0 {
			return nil // the user pinned it meanwhile: its blocks stay
		}
		v.BytesLocal = local
		if local > 0 {
			v.Kept |= Cache
		}
		return nil
	})
	return err
}

// seed is the part of a round that fetches and drops.
func (a *AutoSeeder) seed(ctx context.Context, now time.Time, videos map[cid.Cid]Video, scores []VideoScore, rep *RoundReport) error {
	byCid := make(map[cid.Cid]VideoScore, len(scores))
	for _, s := range scores {
		byCid[s.Cid] = s
	}
	// Interrupted fetches first: they were chosen already.
	for _, v := range autoSeeded(videos) {
		if v.Kept&(OwnUpload|Pinned) != 0 {
			// The user's pin or upload supersedes auto-seeding: unpinning
			// it later must not bring auto-seeding's pin back.
			if _, err := a.cat.Update(ctx, v.Cid, func(v *Video) error {
				v.Kept &^= AutoSeeded
				v.setAutoSeededAt(time.Time{})
				return nil
			}); err != nil {
				return err
			}
			continue
		}
		pinned, err := a.node.IsPinned(ctx, v.Cid)
		if err != nil {
			return err
		}
		if pinned {
			continue
		}
		ok, err := a.fetch(ctx, now, v.Cid, byCid[v.Cid], true)
		if errors.Is(err, ErrDiskFull) {
			rep.Message = diskFullMessage
			rep.Demoted = append(rep.Demoted, v.Cid)
			return nil
		}
		if errors.Is(err, errSeedingPaused) {
			rep.Message = pausedMessage
			return nil
		}
		if err != nil {
			return err
		}
		if ok {
			rep.Resumed = append(rep.Resumed, v.Cid)
		} else {
			rep.Demoted = append(rep.Demoted, v.Cid)
		}
	}

	st, err := a.keeper.State(ctx)
	if err != nil {
		return err
	}
	if st.Message != "" && (st.OverQuota || st.FloorReached) {
		rep.Message = st.Message
	}
	held := a.held(ctx, byCid)
	if !a.swapKnown {
		// After a restart the newest auto-seeded video may have come in
		// a swap: count it as one.
		for _, h := range held {
			if h.since.After(a.lastSwap) {
				a.lastSwap = h.since
			}
		}
		a.swapKnown = true
	}
	// The quota first: auto-seeded videos must fit the cache budget.
	policy := a.policy()
	drop := policy.overQuota(held, st.CacheBudget)
	for _, victim := range held[:drop] {
		if err := a.release(ctx, victim.Cid, true); err != nil {
			return err
		}
		a.log.Info("dropped an auto-seeded video: over the quota", "cid", victim.Cid,
			"score", victim.Score, "budget", st.CacheBudget)
		rep.Dropped = append(rep.Dropped, victim.Cid)
	}
	held = held[drop:]

	fetched, tries, swapped := 0, 0, false
	for _, cand := range policy.toFetch(scores) {
		if fetched >= a.cfg.fetchesPerRound || tries >= maxFetchTries {
			break
		}
		if t, ok := a.failed[cand.Cid]; ok && now.Before(t) {
			continue
		}
		if a.pinnedElsewhere(ctx, cand.Cid) {
			continue
		}
		tries++
		local, err := a.node.LocalBytes(ctx, cand.Cid)
		if err != nil {
			return err
		}
		need := max(cand.Size-local, 0)
		release, err := a.keeper.Reserve(ctx, need, ForVideo(cand.Cid))
		if errors.Is(err, ErrQuota) && policy.maySwap(now, a.lastSwap, swapped) {
			if victims := policy.victims(now, held, cand, need, st); len(victims) > 0 {
				swapped, a.lastSwap, rep.Swapped = true, now, true
				for _, v := range victims {
					if err := a.release(ctx, v.Cid, true); err != nil {
						return err
					}
					a.log.Info("replacing an auto-seeded video", "cid", v.Cid, "score", v.Score,
						"by", cand.Cid, "by_score", cand.Score)
					rep.Dropped = append(rep.Dropped, v.Cid)
				}
				held = slices.DeleteFunc(held, func(h seedHeld) bool {
					return slices.ContainsFunc(victims, func(v seedHeld) bool { return v.Cid.Equals(h.Cid) })
				})
				release, err = a.keeper.Reserve(ctx, need, ForVideo(cand.Cid))
			}
		}
		switch {
		case errors.Is(err, ErrQuota):
			continue // a smaller candidate may still fit
		case errors.Is(err, ErrDiskFull):
			rep.Message = diskFullMessage
			return nil
		case err != nil:
			return err
		}
		ok, err := a.fetchReserved(ctx, now, cand.Cid, cand, release, false)
		if errors.Is(err, ErrDiskFull) {
			rep.Message = diskFullMessage
			return nil
		}
		if errors.Is(err, errSeedingPaused) {
			rep.Message = pausedMessage
			return nil
		}
		if err != nil {
			return err
		}
		if ok {
			fetched++
			rep.Fetched = append(rep.Fetched, cand.Cid)
			held = append(held, seedHeld{VideoScore: cand, bytes: cand.Size, since: now})
		}
	}
	return nil
}

// held lists the auto-seeded videos (not also kept by the user), lowest
// score first.
func (a *AutoSeeder) held(ctx context.Context, byCid map[cid.Cid]VideoScore) []seedHeld {
	page, err := a.cat.List(ctx, ListOptions{Kept: AutoSeeded})
	if err != nil {
		a.log.Warn("listing auto-seeded videos", "err", err)
		return nil
	}
	var out []seedHeld
	for _, v := range page.Videos {
		if v.Kept&(OwnUpload|Pinned) != 0 {
			continue
		}
		s, ok := byCid[v.Cid]
		if !ok {
			s = VideoScore{Cid: v.Cid}
		}
		out = append(out, seedHeld{VideoScore: s, bytes: max(v.BytesLocal, v.Size), since: v.AutoSeededAt()})
	}
	slices.SortFunc(out, func(x, y seedHeld) int {
		return cmp.Or(cmp.Compare(x.Score, y.Score), cmp.Compare(y.bytes, x.bytes),
			cmp.Compare(x.Cid.KeyString(), y.Cid.KeyString()))
	})
	return out
}

// fetch reserves room for what c still lacks and fetches it; see
// fetchReserved.
func (a *AutoSeeder) fetch(ctx context.Context, now time.Time, c cid.Cid, s VideoScore, resume bool) (bool, error) {
	size := s.Size
	if size <= 0 {
		v, err := a.cat.Get(ctx, c)
		if err == nil {
			size = v.Size
		}
	}
	local, err := a.node.LocalBytes(ctx, c)
	if err != nil {
		return false, err
	}
	release, err := a.keeper.Reserve(ctx, max(size-local, 0), ForVideo(c))
	if errors.Is(err, ErrQuota) || errors.Is(err, ErrDiskFull) {
		a.log.Info("no room to resume an auto-seeded video", "cid", c, "err", err)
		return false, a.release(ctx, c, false)
	}
	if err != nil {
		return false, err
	}
	return a.fetchReserved(ctx, now, c, s, release, resume)
}

// fetchReserved marks c auto-seeded in the catalog, pins it (fetching
// what is missing), records its local bytes and releases the reservation.
// A failed fetch hands what arrived to the cache and backs off; it reports
// false with no error then.
func (a *AutoSeeder) fetchReserved(ctx context.Context, now time.Time, c cid.Cid, s VideoScore, release func(), resume bool) (bool, error) {
	defer release()
	// Marked first, so a restart resumes the fetch (see release).
	_, err := a.cat.Upsert(ctx, c, func(v *Video) error {
		if v.Kept&(OwnUpload|Pinned) != 0 {
			return errUserKeeps
		}
		if v.Title == "" {
			v.Title = cmp.Or(s.Title, c.String())
		}
		if v.Size <= 0 {
			v.Size = s.Size
		}
		if !v.Kept.Has(AutoSeeded) || v.AutoSeededAt().IsZero() {
			v.setAutoSeededAt(now)
		}
		v.Kept = v.Kept&^Cache | AutoSeeded
		return nil
	})
	if errors.Is(err, errUserKeeps) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	start := time.Now()
	fctx, done := a.fetchContext(ctx)
	err = a.node.Pin(fctx, c)
	done()
	if err != nil {
		if ctx.Err() != nil {
			// Shutting down: the mark stays and the next start resumes.
			return false, ctx.Err()
		}
		if a.paused.Load() {
			// The mark stays: the first round after resuming finishes it.
			a.log.Info("auto-seeding fetch paused", "cid", c)
			return false, errSeedingPaused
		}
		a.log.Warn("auto-seeding fetch failed", "cid", c, "err", err)
		a.failed[c] = now.Add(10 * a.cfg.interval)
		if rerr := a.release(ctx, c, false); rerr != nil {
			return false, rerr
		}
		if errors.Is(err, ErrDiskFull) {
			return false, err // no other fetch can succeed either
		}
		return false, nil
	}
	local, err := a.node.LocalBytes(ctx, c)
	if err != nil {
		return false, err
	}
	if _, err := a.cat.SetBytesLocal(ctx, c, local); err != nil {
		return false, err
	}
	if err := a.node.IndexVideo(ctx, c); err == nil {
		a.indexed[c] = local
	}
	a.log.Info("auto-seeded a video", "cid", c, "score", s.Score, "providers", s.Providers,
		"bytes", local, "took", time.Since(start).Round(time.Millisecond), "resumed", resume)
	return true, nil
}

// diskFullMessage is the round's message when the disk stops fetches.
const diskFullMessage = "The disk is almost full, so nothing new is auto-seeded; videos already here are still shared."

// pausedMessage is the round's message while auto-seeding is paused.
const pausedMessage = "Auto-seeding is paused."

// errUserKeeps stops a fetch for a video the user pinned or uploaded
// meanwhile: it is kept already.
var errUserKeeps = errors.New("kept by the user")
