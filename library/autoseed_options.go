package library

import (
	"log/slog"
	"time"
)

// Defaults of the AutoSeeder's options.
const (
	DefaultSeedInterval   = time.Minute
	DefaultSeedHalfLife   = 6 * time.Hour
	DefaultMinKeep        = 24 * time.Hour
	DefaultHysteresis     = 1.5
	DefaultMinSeedScore   = 0.5
	DefaultFetchTimeout   = time.Hour
	DefaultProviderMaxAge = 30 * time.Minute
	// DefaultAnnounceWindow is how far back the demand an announcement
	// carries reaches: as long as peers keep an announcement, so one
	// announcement arriving in that time carries all of it.
	DefaultAnnounceWindow = 10 * time.Minute
	// DefaultMaxTracked is how many videos known only from the network
	// the engine keeps popularity for: as many as the node passes on
	// from gossip in one round (its own bound on heard videos), each an
	// entry of about 200 bytes.
	DefaultMaxTracked = 10_000

	// maxProviders is where provider counting stops: past it a video is
	// well replicated and 1/(1+providers) barely moves.
	maxProviders = 8
	// providerQueries and sizeQueries bound the DHT and root-block lookups
	// of one round; the rest wait for the next.
	providerQueries = 8
	sizeQueries     = 16
	lookupTimeout   = 20 * time.Second
	// maxFetchTries bounds how many candidates one round tries to reserve
	// room for (each try measures the repo).
	maxFetchTries = 8
	// maxAnnounced is how many videos one announcement lists at most.
	maxAnnounced = 64
)

// AutoSeedOption tunes NewAutoSeeder.
type AutoSeedOption func(*seedConfig)

type seedConfig struct {
	enabled, private bool
	paused           bool
	interval         time.Duration
	halfLife         time.Duration
	minKeep          time.Duration
	hysteresis       float64
	minScore         float64
	fetchesPerRound  int
	fetchTimeout     time.Duration
	providerMaxAge   time.Duration
	window           time.Duration
	maxTracked       int
	log              *slog.Logger
	now              func() time.Time
}

// WithSeeding turns auto-seeding on or off from the start (default off:
// volunteering is the user's choice). Pass the saved setting here rather
// than calling SetEnabled after Run: a round run while off demotes what
// earlier sessions auto-seeded to cache.
func WithSeeding(on bool) AutoSeedOption { return func(c *seedConfig) { c.enabled = on } }

// WithSeedingPaused starts paused (see SetPaused): the app starts so
// when seeding is paused or outside the seeding hours.
func WithSeedingPaused(on bool) AutoSeedOption { return func(c *seedConfig) { c.paused = on } }

// WithPrivate starts in private mode (see SetPrivate).
func WithPrivate(on bool) AutoSeedOption { return func(c *seedConfig) { c.private = on } }

// WithSeedInterval sets how often Run runs a round (default
// DefaultSeedInterval, the announcement period too).
func WithSeedInterval(d time.Duration) AutoSeedOption { return func(c *seedConfig) { c.interval = d } }

// WithHalfLife sets how fast popularity fades (default DefaultSeedHalfLife).
func WithHalfLife(d time.Duration) AutoSeedOption { return func(c *seedConfig) { c.halfLife = d } }

// WithMinKeep sets how long an auto-seeded video is kept before a better
// candidate may replace it (default DefaultMinKeep, like PeerTube's
// redundancy min_lifetime). The quota overrides it.
func WithMinKeep(d time.Duration) AutoSeedOption { return func(c *seedConfig) { c.minKeep = d } }

// WithHysteresis sets by how much a candidate's score must exceed the
// scores of the videos it would replace (default DefaultHysteresis, 1.5×).
func WithHysteresis(f float64) AutoSeedOption { return func(c *seedConfig) { c.hysteresis = f } }

// WithMinSeedScore sets the score below which a video is never fetched
// (default DefaultMinSeedScore viewings): an idle network seeds nothing.
func WithMinSeedScore(s float64) AutoSeedOption { return func(c *seedConfig) { c.minScore = s } }

// WithFetchesPerRound caps the videos one round fetches (default 2), so a
// round ends and announcements keep flowing.
func WithFetchesPerRound(n int) AutoSeedOption {
	return func(c *seedConfig) { c.fetchesPerRound = n }
}

// WithFetchTimeout bounds one video's fetch (default DefaultFetchTimeout).
func WithFetchTimeout(d time.Duration) AutoSeedOption {
	return func(c *seedConfig) { c.fetchTimeout = d }
}

// WithProviderMaxAge sets how long a provider count is trusted (default
// DefaultProviderMaxAge).
func WithProviderMaxAge(d time.Duration) AutoSeedOption {
	return func(c *seedConfig) { c.providerMaxAge = d }
}

// WithAnnounceWindow sets the span of past demand each announcement
// carries (default DefaultAnnounceWindow); at least the round interval,
// or demand between rounds would go unannounced.
func WithAnnounceWindow(d time.Duration) AutoSeedOption { return func(c *seedConfig) { c.window = d } }

// WithMaxTracked caps how many videos known only from the network (not
// in the catalog, not served by this node) the engine tracks popularity
// for (default DefaultMaxTracked). Peers announce whatever CIDs they
// like and an entry takes days to fade, so past the cap the coldest go
// (see the AutoSeeder's doc).
func WithMaxTracked(n int) AutoSeedOption { return func(c *seedConfig) { c.maxTracked = n } }

// WithAutoSeedLogger sets the logger; the default is slog.Default().
func WithAutoSeedLogger(l *slog.Logger) AutoSeedOption { return func(c *seedConfig) { c.log = l } }
