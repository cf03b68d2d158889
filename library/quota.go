package library

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/ipfs/go-cid"
)

// Store is what a Keeper needs from the node that holds the blocks. The
// app adapts *node.Node to it (node.DiskUsage and node.FreeSpace of the
// repo directory, Node.Evict, Node.IsPinned).
type Store interface {
	// DiskUsage returns the bytes the repo occupies on disk, counted as
	// allocated blocks the way du does (Badger's sparse preallocated
	// files count for what they hold, not their apparent size).
	DiskUsage(ctx context.Context) (int64, error)
	// FreeSpace returns the bytes still writable on the repo's file
	// system and the file system's size.
	FreeSpace(ctx context.Context) (free, total int64, err error)
	// Evict deletes the local blocks of the DAGs under roots that no pin
	// holds and gives their space back to the disk before returning; it
	// returns the block bytes it deleted.
	Evict(ctx context.Context, roots ...cid.Cid) (freed int64, err error)
	// IsPinned reports whether the node pins c (the catalog may lag).
	IsPinned(ctx context.Context, c cid.Cid) (bool, error)
}

var (
	// ErrQuota: the storage quota has no room for the reservation, even
	// with every evictable cached video gone (only own uploads and pins
	// are left, or the request alone is bigger than the quota allows).
	ErrQuota = errors.New("not enough room in the storage quota")
	// ErrDiskFull: writing would take the disk's free space below the
	// floor, even with every evictable cached video gone.
	ErrDiskFull = errors.New("disk almost full")
)

const (
	// QuotaSlack is how far above the quota the repo's disk use may go
	// at any moment: Badger's own files, the catalog and the transient
	// copies of eviction all have to fit in it.
	QuotaSlack = 16 << 20

	// DefaultQuota is the quota of a Keeper built without WithQuota.
	DefaultQuota = 10 << 30

	// DefaultEvictionOverhead is the disk use an eviction may add for a
	// moment before it frees anything. The node reclaims space by first
	// writing a filler one value-log file long (33 MiB with its 32 MiB
	// files), then rewriting the value-log files that are at least 20 %
	// dead, each copied before it is deleted (up to 80 % of a file that
	// may run a little over 32 MiB), so the peak is a filler file plus at
	// most part of one rewritten file (TestEvictionPeak samples it). The
	// Keeper evicts down to this much minus QuotaSlack below the quota
	// (56 MiB), so the peak stays within quota + QuotaSlack.
	DefaultEvictionOverhead = 72 << 20

	// DefaultEnforceInterval is how often Run enforces the quota.
	DefaultEnforceInterval = 30 * time.Second

	// DefaultMaxEnforceFailures is how many rounds in a row may fail before
	// Run gives up: 5 minutes at the default interval, long past a busy
	// disk or a passing error, so what is left is a broken store.
	DefaultMaxEnforceFailures = 10

	// defaultFloorFraction and maxDefaultFloor make the default free-disk
	// floor: 1 % of the file system, at most 1 GiB (1 % of a 4 TB disk
	// would keep 40 GB idle for nothing), at least the eviction overhead
	// (an eviction made to respect the floor briefly needs that much).
	defaultFloorFraction = 100
	maxDefaultFloor      = 1 << 30
)

// KeeperOption tunes NewKeeper.
type KeeperOption func(*keeperConfig)

type keeperConfig struct {
	quota            int64
	floor            int64 // < 0: the default, from the file system's size
	evictionOverhead int64
	interval         time.Duration
	maxFailures      int
	log              *slog.Logger
	now              func() time.Time
}

// WithQuota sets the storage quota in bytes (default DefaultQuota). 0
// caches nothing.
func WithQuota(bytes int64) KeeperOption { return func(c *keeperConfig) { c.quota = bytes } }

// WithFreeFloor sets how many bytes must stay free on the disk; by default
// 1 % of the file system, at most 1 GiB and at least the eviction
// overhead. A floor below the eviction overhead lets an eviction made for
// the floor itself fill the disk.
func WithFreeFloor(bytes int64) KeeperOption { return func(c *keeperConfig) { c.floor = bytes } }

// WithEvictionOverhead sets how much an eviction adds to the disk use for
// a moment (default DefaultEvictionOverhead); a node tuned differently
// measures its own.
func WithEvictionOverhead(bytes int64) KeeperOption {
	return func(c *keeperConfig) { c.evictionOverhead = bytes }
}

// WithEnforceInterval sets how often Run enforces the quota (default
// DefaultEnforceInterval).
func WithEnforceInterval(d time.Duration) KeeperOption {
	return func(c *keeperConfig) { c.interval = d }
}

// WithMaxEnforceFailures sets how many rounds of Run in a row may fail
// before it gives up and returns the last error.
func WithMaxEnforceFailures(n int) KeeperOption { return func(c *keeperConfig) { c.maxFailures = n } }

// WithKeeperLogger sets the logger; the default is slog.Default().
func WithKeeperLogger(l *slog.Logger) KeeperOption { return func(c *keeperConfig) { c.log = l } }

// ReserveOption tunes one Reserve call.
type ReserveOption func(*reserveConfig)

type reserveConfig struct {
	video cid.Cid
	keep  bool
}

// ForVideo names the video the bytes are for: it is not evicted while
// the reservation is held (it is the one being fetched or watched).
func ForVideo(c cid.Cid) ReserveOption { return func(r *reserveConfig) { r.video = c } }

// ForKeeping says the bytes are for an own upload or a pin. Those count
// against the quota first: cached videos are evicted to make room, even
// when that cannot make room for all of it (the repo then stays over the
// quota until the next eviction, and State may report OverQuota). The
// quota refuses them (ErrQuota, nothing evicted) only when own uploads
// and pins alone — the catalog's kept bytes, the keeping reservations
// still held and this one — would take more than the quota; the free-disk
// floor refuses them as it refuses any write.
func ForKeeping() ReserveOption { return func(r *reserveConfig) { r.keep = true } }

// State is where the repo stands against its quota.
type State struct {
	// Quota is the limit the user set; Used is the repo's disk use now
	// (allocated blocks, Badger and the catalog included); Reserved is
	// what running fetches were promised and may not have written yet.
	Quota, Used, Reserved int64
	// Kept is the local bytes of own uploads and pinned videos, Cache
	// that of everything else (cached and auto-seeded videos), both as
	// the catalog counts them.
	Kept, Cache int64
	// CacheBudget is what cache and auto-seeding may use at most: the
	// quota minus own uploads, pins, the repo's own overhead and the
	// room eviction needs; 0 when they already fill it.
	CacheBudget int64
	// Free is the disk's free space, Floor what is kept free.
	Free, Floor int64
	// OverQuota: own uploads and pins (with the repo's overhead) alone
	// take more than the quota, so nothing else is cached or seeded.
	OverQuota bool
	// FloorReached: the disk's free space is at or below the floor, so
	// nothing new is stored; what is here is still served.
	FloorReached bool
	// Message tells the user what is wrong, or that caching is off; empty
	// when all is well.
	Message string
}

// Keeper holds the repo's disk use within a quota. Own uploads and pins
// count first; cached videos (and, later, auto-seeded ones) get what is
// left and are evicted least recently watched first (never-watched ones
// by when they were added) when a fetch needs room or the quota shrinks.
// It never evicts a video the catalog marks OwnUpload or Pinned, nor one
// the node pins.
//
// The promise: the repo's disk use, as du counts it, stays within
// Quota + QuotaSlack at every moment, provided every write that is not an
// own upload or pin reserves its bytes first (Reserve before a fetch,
// release when it is done). To hold it through the transient growth of an
// eviction (DefaultEvictionOverhead), the Keeper evicts down to
// Quota + QuotaSlack − overhead (56 MiB below the quota by default): a
// quota below ~56 MiB caches nothing, and quotas make sense from a few
// hundred MiB up. An empty repo takes under 100 KiB (catalog included).
//
// Quota 0 means "cache nothing": every evictable video goes and cache
// reservations fail with ErrQuota. It does not mean unlimited; for that,
// give a quota as large as the disk, and the free-disk floor still holds.
//
// The free-disk floor stops writes before the disk fills: Reserve fails
// with ErrDiskFull when the reservation would take free space below it,
// unless evicting cache makes room. Enforce does not evict for the floor:
// the node keeps serving what it has.
//
// All methods are safe for concurrent use; evictions run one at a time.
type Keeper struct {
	cat   *Catalog
	store Store
	cfg   keeperConfig
	log   *slog.Logger

	// evictMu serialises the measure-then-evict sequences of Reserve and
	// Enforce, so two of them never evict for the same shortfall.
	evictMu sync.Mutex

	mu        sync.Mutex
	quota     int64
	reserved  int64
	keeping   int64           // the part of reserved that is ForKeeping
	protected map[cid.Cid]int // videos with live reservations
}

// NewKeeper returns a Keeper for the videos of cat whose blocks live in
// store. It does no I/O; call Enforce (or Run) to bring the repo within the
// quota.
func NewKeeper(ctx context.Context, cat *Catalog, store Store, opts ...KeeperOption) (*Keeper, error) {
	cfg := keeperConfig{
		quota:            DefaultQuota,
		floor:            -1,
		evictionOverhead: DefaultEvictionOverhead,
		interval:         DefaultEnforceInterval,
		maxFailures:      DefaultMaxEnforceFailures,
		log:              slog.Default(),
		now:              time.Now,
	}
	for _, o := range opts {
		o(&cfg)
	}
	switch {
	case cat == nil || store == nil:
		return nil, fmt.Errorf("library.NewKeeper: %w: nil catalog or store", ErrInvalid)
	case cfg.quota < 0:
		return nil, fmt.Errorf("library.NewKeeper: %w: negative quota %d", ErrInvalid, cfg.quota)
	case cfg.evictionOverhead < 0:
		return nil, fmt.Errorf("library.NewKeeper: %w: negative eviction overhead %d", ErrInvalid, cfg.evictionOverhead)
	case cfg.interval <= 0:
		return nil, fmt.Errorf("library.NewKeeper: %w: enforce interval %v must be positive", ErrInvalid, cfg.interval)
	case cfg.maxFailures <= 0:
		return nil, fmt.Errorf("library.NewKeeper: %w: giving up after %d failures", ErrInvalid, cfg.maxFailures)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("library.NewKeeper: %w", err)
	}
	return &Keeper{
		cat: cat, store: store, cfg: cfg,
		log:       cfg.log.With("component", "quota"),
		quota:     cfg.quota,
		protected: map[cid.Cid]int{},
	}, nil
}

// Quota returns the current quota.
func (k *Keeper) Quota() int64 {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.quota
}

// SetQuota changes the quota and enforces it at once: when it shrank,
// cached videos are evicted before SetQuota returns (seconds, for
// gigabytes). Until then the repo may be above the new quota.
func (k *Keeper) SetQuota(ctx context.Context, bytes int64) (State, error) {
	if bytes < 0 {
		return State{}, fmt.Errorf("library.SetQuota: %w: negative quota %d", ErrInvalid, bytes)
	}
	k.mu.Lock()
	k.quota = bytes
	k.mu.Unlock()
	k.log.Info("quota set", "bytes", bytes)
	st, err := k.Enforce(ctx)
	if err != nil {
		return st, fmt.Errorf("library.SetQuota: %w", err)
	}
	return st, nil
}

// State measures the repo and reports where it stands. It reads the whole
// catalog and walks the repo (tens of milliseconds), so call it off the UI
// thread.
func (k *Keeper) State(ctx context.Context) (State, error) {
	s, err := k.measure(ctx)
	if err != nil {
		return State{}, fmt.Errorf("library.Keeper.State: %w", err)
	}
	return s.State, nil
}

// ReadState measures the repo against quota once, as State does, for a
// process that keeps no Keeper (a one-off command).
func ReadState(ctx context.Context, cat *Catalog, store Store, quota int64) (State, error) {
	k, err := NewKeeper(ctx, cat, store, WithQuota(quota))
	if err != nil {
		return State{}, fmt.Errorf("library.ReadState: %w", err)
	}
	return k.State(ctx)
}

// Reserve promises n bytes to a fetch about to start, evicting least
// recently watched cached videos until the repo's disk use, the bytes
// already promised and n fit the quota and the free-disk floor. Call
// release when the fetch has finished (its bytes are then on disk and
// counted there) or failed; calling it more than once is harmless.
//
// It fails with ErrQuota when evicting every evictable video would still
// not make room (nothing is evicted then), and with ErrDiskFull when the
// floor is what stands in the way. With ForKeeping the quota refuses only
// what own uploads and pins alone could not fit (see ForKeeping).
func (k *Keeper) Reserve(ctx context.Context, n int64, opts ...ReserveOption) (release func(), err error) {
	var rc reserveConfig
	for _, o := range opts {
		o(&rc)
	}
	if n < 0 {
		return nil, fmt.Errorf("library.Reserve: %w: negative size %d", ErrInvalid, n)
	}
	k.evictMu.Lock()
	defer k.evictMu.Unlock()
	// Each round evicts at least one video not tried before, so the loop
	// ends even when the catalog refuses an update.
	tried := map[cid.Cid]bool{}
	for {
		s, err := k.measure(ctx)
		if err != nil {
			return nil, fmt.Errorf("library.Reserve: %w", err)
		}
		if rc.keep {
			if err := k.checkKeeping(s, n); err != nil {
				return nil, err
			}
		}
		quotaNeed := s.Used + s.Reserved + n - s.target
		floorNeed := s.Floor + s.Reserved + n - s.Free
		need := max(floorNeed, 0)
		if !rc.keep {
			need = max(need, quotaNeed)
		}
		if need <= 0 {
			if rc.keep && quotaNeed > 0 {
				// Pins count first: make what room the cache can give,
				// then take the rest beyond the quota.
				if _, err := k.evictFor(ctx, s, quotaNeed, rc.video, false, tried); err != nil {
					return nil, fmt.Errorf("library.Reserve: %w", err)
				}
			}
			return k.grant(n, rc.video, rc.keep), nil
		}
		freed, err := k.evictFor(ctx, s, need, rc.video, true, tried)
		if err != nil {
			return nil, fmt.Errorf("library.Reserve: %w", err)
		}
		if freed < 0 {
			if floorNeed > 0 {
				return nil, fmt.Errorf("library.Reserve %s: %w: %s free, %s kept free",
					formatBytes(n), ErrDiskFull, formatBytes(s.Free), formatBytes(s.Floor))
			}
			return nil, fmt.Errorf("library.Reserve %s: %w: %s used of %s, %s of it own uploads and pins",
				formatBytes(n), ErrQuota, formatBytes(s.Used+s.Reserved), formatBytes(s.Quota), formatBytes(s.Kept))
		}
	}
}

// checkKeeping refuses a keeping reservation that would take own uploads
// and pins alone past the quota: making room by evicting the cache could
// never hold it, and the user would only find out from the Seeding page.
func (k *Keeper) checkKeeping(s measurement, n int64) error {
	k.mu.Lock()
	keeping := k.keeping
	k.mu.Unlock()
	if s.Kept+keeping+n <= s.Quota {
		return nil
	}
	return fmt.Errorf("library.Reserve %s: %w: own uploads and pins would take %s with it (%s already), past the %s quota; raise the quota or unpin videos",
		formatBytes(n), ErrQuota, formatBytes(s.Kept+keeping+n), formatBytes(s.Kept+keeping), formatBytes(s.Quota))
}

// grant records a reservation and returns its release.
func (k *Keeper) grant(n int64, video cid.Cid, keep bool) func() {
	k.mu.Lock()
	k.reserved += n
	if keep {
		k.keeping += n
	}
	if video.Defined() {
		k.protected[video]++
	}
	k.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			k.mu.Lock()
			defer k.mu.Unlock()
			k.reserved -= n
			if keep {
				k.keeping -= n
			}
			if video.Defined() {
				if k.protected[video]--; k.protected[video] <= 0 {
					delete(k.protected, video)
				}
			}
		})
	}
}

// Enforce evicts least recently watched cached videos until the repo's
// disk use and the reservations fit the quota (minus the room eviction
// needs), or until only own uploads and pins are left; the State then says
// so. It does not evict for the free-disk floor.
func (k *Keeper) Enforce(ctx context.Context) (State, error) {
	k.evictMu.Lock()
	defer k.evictMu.Unlock()
	tried := map[cid.Cid]bool{}
	for {
		s, err := k.measure(ctx)
		if err != nil {
			return State{}, fmt.Errorf("library.Enforce: %w", err)
		}
		need := s.Used + s.Reserved - s.target
		if need <= 0 {
			return s.State, nil
		}
		// Own uploads and pins come first: when they fill the quota the
		// whole cache goes, even though that does not reach the target.
		freed, err := k.evictFor(ctx, s, need, cid.Undef, false, tried)
		if err != nil {
			return State{}, fmt.Errorf("library.Enforce: %w", err)
		}
		if freed < 0 {
			// Nothing evictable left: measure again so the State shows
			// the cache gone and OverQuota set.
			s, err = k.measure(ctx)
			if err != nil {
				return State{}, fmt.Errorf("library.Enforce: %w", err)
			}
			return s.State, nil
		}
	}
}

// Run enforces the quota every interval (WithEnforceInterval) until ctx
// ends, then returns ctx's error. Failures are logged and retried at the
// next tick; after WithMaxEnforceFailures of them in a row Run gives up
// and returns the last one, so a broken store is reported rather than
// retried unseen.
func (k *Keeper) Run(ctx context.Context) error {
	t := time.NewTicker(k.cfg.interval)
	defer t.Stop()
	failures := 0
	for {
		if st, err := k.Enforce(ctx); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			failures++
			if failures >= k.cfg.maxFailures {
				return fmt.Errorf("library.Keeper.Run: enforcing the quota failed %d times in a row: %w", failures, err)
			}
			k.log.Warn("enforcing the quota failed", "err", err, "failures", failures)
		} else {
			failures = 0
			if st.Message != "" {
				k.log.Debug("quota", "state", st.Message)
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// measurement is a State plus what eviction decisions need.
type measurement struct {
	State
	target     int64   // disk use eviction aims at
	candidates []Video // evictable, least recently watched first
	unknown    bool    // some candidate's local bytes are not counted
}

func (k *Keeper) measure(ctx context.Context) (measurement, error) {
	k.mu.Lock()
	quota, reserved := k.quota, k.reserved
	protected := make(map[cid.Cid]bool, len(k.protected))
	for c := range k.protected {
		protected[c] = true
	}
	k.mu.Unlock()

	used, err := k.store.DiskUsage(ctx)
	if err != nil {
		return measurement{}, fmt.Errorf("disk usage: %w", err)
	}
	free, total, err := k.store.FreeSpace(ctx)
	if err != nil {
		return measurement{}, fmt.Errorf("free space: %w", err)
	}
	page, err := k.cat.List(ctx, ListOptions{})
	if err != nil {
		return measurement{}, fmt.Errorf("catalog: %w", err)
	}
	m := measurement{State: State{Quota: quota, Used: used, Reserved: reserved, Free: free, Floor: k.cfg.floor}}
	if m.Floor < 0 {
		m.Floor = max(min(total/defaultFloorFraction, maxDefaultFloor), k.cfg.evictionOverhead)
	}
	for _, v := range page.Videos {
		switch {
		case v.Kept&(OwnUpload|Pinned) != 0:
			m.Kept += v.BytesLocal
		case v.Kept.Has(Cache) || v.BytesLocal > 0:
			m.Cache += v.BytesLocal
			if !protected[v.Cid] {
				m.candidates = append(m.candidates, v)
				m.unknown = m.unknown || v.BytesLocal == 0
			}
		}
	}
	slices.SortStableFunc(m.candidates, func(a, b Video) int {
		return cmp.Or(lastUse(a).Compare(lastUse(b)), cmp.Compare(a.Cid.KeyString(), b.Cid.KeyString()))
	})

	m.target = max(quota+QuotaSlack-k.cfg.evictionOverhead, 0)
	// Everything on disk that is not cache counts first: own uploads,
	// pins, Badger's own files, the catalog, posters. The catalog's cache
	// count can lag the disk, hence the clamp.
	nonCache := min(max(used-m.Cache, m.Kept), used)
	m.CacheBudget = max(m.target-nonCache, 0)
	// Without own uploads or pins whatever is left is the repo's own
	// overhead, which a quota of 0 or a few MiB is allowed to be below.
	m.OverQuota = m.Kept > 0 && nonCache > m.target
	m.FloorReached = free <= m.Floor
	switch {
	case m.OverQuota && m.Kept > quota:
		m.Message = fmt.Sprintf("Your uploads and pinned videos take %s, more than the %s storage quota, so nothing else is cached or seeded. Raise the quota or unpin videos.",
			formatBytes(m.Kept), formatBytes(quota))
	case m.OverQuota:
		m.Message = fmt.Sprintf("Your uploads and pinned videos take %s of the %s storage quota, which leaves no room to cache or seed other videos. Raise the quota or unpin videos.",
			formatBytes(m.Kept), formatBytes(quota))
	case m.FloorReached:
		m.Message = fmt.Sprintf("The disk is almost full (%s free), so nothing new is stored; videos already here are still shared.",
			formatBytes(free))
	case quota == 0:
		m.Message = "The storage quota is 0, so watched videos are not kept."
	}
	return m, nil
}

// lastUse orders eviction: when the video was last watched, or added if
// it never was.
func lastUse(v Video) time.Time {
	if !v.LastWatched.IsZero() {
		return v.LastWatched
	}
	return v.Added
}

// evictFor evicts candidates, least recently watched first, until their
// counted bytes cover need, and updates the catalog. It returns the bytes
// the store freed, or -1 when there is no candidate left or, with
// mustCover, when all of them together are too small to cover need (then
// it evicts nothing: wiping the cache would not make room anyway).
// Candidates in tried are skipped and those it evicts are added.
func (k *Keeper) evictFor(ctx context.Context, m measurement, need int64, keep cid.Cid, mustCover bool, tried map[cid.Cid]bool) (int64, error) {
	var pick []cid.Cid
	var sum int64
	for _, v := range m.candidates {
		if v.Cid.Equals(keep) || tried[v.Cid] {
			continue
		}
		pinned, err := k.store.IsPinned(ctx, v.Cid)
		if err != nil {
			return 0, fmt.Errorf("evict: %w", err)
		}
		if pinned {
			continue // the catalog lags the node; the node would keep it anyway
		}
		pick = append(pick, v.Cid)
		sum += v.BytesLocal
		if sum >= need {
			break
		}
	}
	if len(pick) == 0 || (mustCover && sum < need && !m.unknown) {
		return -1, nil
	}
	for _, c := range pick {
		tried[c] = true
	}
	freed, err := k.store.Evict(ctx, pick...)
	if err != nil {
		return 0, fmt.Errorf("evict: %w", err)
	}
	for _, c := range pick {
		_, err := k.cat.Update(ctx, c, func(v *Video) error {
			v.Kept &^= Cache
			// Pinned in the meantime: its blocks stayed.
			if v.Kept&(OwnUpload|Pinned) == 0 {
				v.BytesLocal = 0
			}
			return nil
		})
		switch {
		case err == nil, errors.Is(err, ErrNotFound):
		case errors.Is(err, ErrNewerRecord), errors.Is(err, ErrCorrupt):
			// The blocks are gone all the same; the record keeps
			// claiming them until a newer build or the user fixes it.
			k.log.Warn("evicted video's record not updated", "cid", c, "err", err)
		default:
			return 0, fmt.Errorf("evict: %w", err)
		}
	}
	k.log.Info("evicted cached videos", "videos", len(pick), "bytes", freed, "need", need,
		"used", m.Used, "quota", m.Quota)
	return freed, nil
}

// formatBytes writes sizes the way the messages show them: "1.5 GiB".
func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}
