package gwfetch

import (
	"log/slog"
	"net/http"
	"time"
)

// Defaults for the options below.
const (
	DefaultMaxBlockSize    = 2 << 20
	DefaultTimeToFirstByte = 5 * time.Second
	DefaultStallTimeout    = 3 * time.Second
	DefaultRequestTimeout  = 30 * time.Second
	DefaultProbeInterval   = 30 * time.Second
	DefaultBanDuration     = 24 * time.Hour
	DefaultMaxInFlight     = 8
	DefaultBackoff         = time.Second
	DefaultMaxCooldown     = 10 * time.Minute
	DefaultHedgeFloor      = 25 * time.Millisecond
)

// Option tunes a Fetcher.
type Option func(*config)

type config struct {
	log           *slog.Logger
	client        *http.Client
	maxBlockSize  int64
	ttfb          time.Duration
	stall         time.Duration
	request       time.Duration
	probeInterval time.Duration
	banDuration   time.Duration
	maxInFlight   int
	backoff       time.Duration
	maxCooldown   time.Duration
	hedgeFloor    time.Duration
	userAgent     string
}

func defaultConfig() config {
	return config{
		log:           slog.Default(),
		maxBlockSize:  DefaultMaxBlockSize,
		ttfb:          DefaultTimeToFirstByte,
		stall:         DefaultStallTimeout,
		request:       DefaultRequestTimeout,
		probeInterval: DefaultProbeInterval,
		banDuration:   DefaultBanDuration,
		maxInFlight:   DefaultMaxInFlight,
		backoff:       DefaultBackoff,
		maxCooldown:   DefaultMaxCooldown,
		hedgeFloor:    DefaultHedgeFloor,
		userAgent:     "ipfs-tube-gwfetch",
	}
}

// WithLogger sets the logger (slog.Default otherwise).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) {
		if l != nil {
			c.log = l
		}
	}
}

// WithHTTPClient makes requests through c instead of the Fetcher's own
// client. Its Timeout should be zero: the Fetcher enforces its own bounds.
// Decompression stays off either way, because every request asks for
// Accept-Encoding: identity itself.
func WithHTTPClient(c *http.Client) Option {
	return func(cfg *config) {
		if c != nil {
			cfg.client = c
		}
	}
}

// WithTransport makes requests through rt with the Fetcher's redirect
// policy.
func WithTransport(rt http.RoundTripper) Option {
	return func(cfg *config) {
		if rt != nil {
			cfg.client = newClient(rt)
		}
	}
}

// WithMaxBlockSize sets the largest block accepted (2 MiB, the bitswap
// limit, by default).
func WithMaxBlockSize(n int64) Option {
	return positive(func(c *config) *int64 { return &c.maxBlockSize }, n)
}

// WithTimeToFirstByte bounds the wait for a response's headers.
func WithTimeToFirstByte(d time.Duration) Option {
	return positive(func(c *config) *time.Duration { return &c.ttfb }, d)
}

// WithStallTimeout bounds how long a response body may send nothing.
func WithStallTimeout(d time.Duration) Option {
	return positive(func(c *config) *time.Duration { return &c.stall }, d)
}

// WithRequestTimeout bounds a whole request, body included.
func WithRequestTimeout(d time.Duration) Option {
	return positive(func(c *config) *time.Duration { return &c.request }, d)
}

// WithProbeInterval sets how long a gateway may sit idle before it is
// probed again; 0 turns probing off, including the probe at start.
func WithProbeInterval(d time.Duration) Option {
	return func(c *config) {
		if d >= 0 {
			c.probeInterval = d
		}
	}
}

// WithBanDuration sets how long a gateway that served a block failing
// verification is left alone.
func WithBanDuration(d time.Duration) Option {
	return positive(func(c *config) *time.Duration { return &c.banDuration }, d)
}

// WithMaxInFlight limits the requests in flight to one gateway.
func WithMaxInFlight(n int) Option {
	return positive(func(c *config) *int { return &c.maxInFlight }, n)
}

// WithBackoff sets the first cooldown after an error (doubled for each
// further consecutive error) and after a 429/503 without Retry-After.
func WithBackoff(d time.Duration) Option {
	return positive(func(c *config) *time.Duration { return &c.backoff }, d)
}

// WithMaxCooldown caps every cooldown, Retry-After included.
func WithMaxCooldown(d time.Duration) Option {
	return positive(func(c *config) *time.Duration { return &c.maxCooldown }, d)
}

// WithHedgeFloor sets the shortest wait for response headers before a
// request is hedged to the next gateway.
func WithHedgeFloor(d time.Duration) Option {
	return positive(func(c *config) *time.Duration { return &c.hedgeFloor }, d)
}

// positive is an Option that sets the field when v > 0; zero or less
// keeps the default.
func positive[T ~int | ~int64](field func(*config) *T, v T) Option {
	return func(c *config) {
		if v > 0 {
			*field(c) = v
		}
	}
}
