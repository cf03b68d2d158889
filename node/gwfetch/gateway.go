package gwfetch

import (
	"math"
	"sync/atomic"
	"time"
)

// States reported in Rank.State.
const (
	StateUntested    = "untested"
	StateOK          = "ok"
	StateSlow        = "slow"
	StateCooling     = "cooling down"
	StateUnreachable = "unreachable"
	StateBanned      = "banned"
)

const (
	ewmaWeight       = 0.3
	outcomeDecay     = 0.9
	errorWeight      = 3.0
	nominalBlock     = 1 << 20
	minTimedBody     = 64 << 10
	assumedLatency   = 500 * time.Millisecond
	assumedRate      = 4 << 20
	slowFactor       = 3.0
	slowMargin       = 100 * time.Millisecond
	startupProbeRuns = 2
)

// Rank is one gateway's measured standing.
type Rank struct {
	URL string
	// Score is the expected rate, in nominal 1 MiB blocks per second, at
	// which one request to this gateway yields a verified block (see the
	// package doc). Zero while banned.
	Score float64
	// Latency is the moving average of the time to first byte; zero until
	// measured.
	Latency time.Duration
	// Throughput is the moving average of body bytes per second; zero until
	// measured.
	Throughput float64
	// SuccessRate is the decayed share of requests that delivered a
	// verified block (probes included); zero until Requests > 0.
	SuccessRate float64
	// State is one of the State constants.
	State string
	// Served counts verified block bytes this gateway delivered to callers.
	Served int64
	// Requested counts every body byte read from this gateway.
	Requested int64
	// Requests counts finished requests (probes included).
	Requests int64
	// InFlight is the number of requests running now.
	InFlight int
	// Until is when a cooldown, backoff or ban ends; zero if none.
	Until time.Time
}

// gateway holds what is known about one gateway. Fields without atomic
// types are guarded by Fetcher.mu.
type gateway struct {
	url string // base URL without trailing slash

	latency    time.Duration
	throughput float64
	ok         float64
	miss       float64
	errs       float64
	requests   int64

	consecutiveErrs int
	unreachable     bool
	cooldownUntil   time.Time
	bannedUntil     time.Time
	lastActive      time.Time

	inflight int
	queued   int

	served    atomic.Int64
	requested atomic.Int64
}

func (g *gateway) banned(now time.Time) bool  { return now.Before(g.bannedUntil) }
func (g *gateway) cooling(now time.Time) bool { return now.Before(g.cooldownUntil) }

// usable says whether requests may go to g now.
func (g *gateway) usable(now time.Time) bool { return !g.banned(now) && !g.cooling(now) }

func (g *gateway) reliability() float64 {
	return (g.ok + 1) / (g.ok + 1 + g.miss + errorWeight*g.errs)
}

// blockTime is the expected time for one nominal block, in seconds.
func (g *gateway) blockTime() float64 {
	lat := g.latency
	if lat <= 0 {
		lat = assumedLatency
	}
	rate := g.throughput
	if rate <= 0 {
		rate = assumedRate
	}
	return lat.Seconds() + nominalBlock/rate
}

func (g *gateway) score(now time.Time) float64 {
	if g.banned(now) {
		return 0
	}
	return g.reliability() / g.blockTime()
}

// cost orders candidates for the next request: lower is better. It grows
// with the gateway's queue so the best gateway is left once waiting for it
// would take longer than asking the next one.
func (g *gateway) cost(limit int) float64 {
	return g.blockTime() / g.reliability() * (1 + float64(g.inflight+g.queued)/float64(limit))
}

// hedgeDelay is how long to wait for g's response headers before asking
// another gateway too.
func (g *gateway) hedgeDelay(cfg *config) time.Duration {
	d := 2 * g.latency
	if g.latency <= 0 {
		d = assumedLatency
	}
	d = max(d, cfg.hedgeFloor)
	return min(d, cfg.ttfb)
}

func (g *gateway) observeLatency(d time.Duration) {
	d = max(d, time.Microsecond)
	if g.latency <= 0 {
		g.latency = d
		return
	}
	g.latency = time.Duration(ewmaWeight*float64(d) + (1-ewmaWeight)*float64(g.latency))
}

func (g *gateway) observeThroughput(n int64, d time.Duration) {
	if n < minTimedBody {
		return
	}
	rate := float64(n) / math.Max(d.Seconds(), 1e-6)
	if g.throughput <= 0 {
		g.throughput = rate
		return
	}
	g.throughput = ewmaWeight*rate + (1-ewmaWeight)*g.throughput
}

// outcome kinds recorded per finished request.
type outcomeKind int

const (
	outcomeOK outcomeKind = iota
	outcomeMiss
	outcomeError
)

func (g *gateway) count(k outcomeKind, now time.Time) {
	g.ok *= outcomeDecay
	g.miss *= outcomeDecay
	g.errs *= outcomeDecay
	switch k {
	case outcomeOK:
		g.ok++
	case outcomeMiss:
		g.miss++
	case outcomeError:
		g.errs++
	}
	g.requests++
	g.lastActive = now
}

func (g *gateway) successRate() float64 {
	total := g.ok + g.miss + g.errs
	if total == 0 {
		return 0
	}
	return g.ok / total
}

// state names g's condition; best holds the lowest latency and block time
// among usable measured gateways (zero if none).
func (g *gateway) state(now time.Time, best bests) string {
	switch {
	case g.banned(now):
		return StateBanned
	case g.unreachable:
		return StateUnreachable
	case g.cooling(now):
		return StateCooling
	case g.requests == 0:
		return StateUntested
	case best.slower(g):
		return StateSlow
	}
	return StateOK
}

func (g *gateway) until(now time.Time) time.Time {
	switch {
	case g.banned(now):
		return g.bannedUntil
	case g.cooling(now):
		return g.cooldownUntil
	}
	return time.Time{}
}

// bests are the best figures among usable measured gateways, to tell a
// slow one: far behind on latency (what probes measure) or on the time
// for a whole block.
type bests struct {
	latency   time.Duration
	blockTime float64
}

func (b *bests) add(g *gateway) {
	if g.latency > 0 && (b.latency == 0 || g.latency < b.latency) {
		b.latency = g.latency
	}
	if bt := g.blockTime(); b.blockTime == 0 || bt < b.blockTime {
		b.blockTime = bt
	}
}

func (b bests) slower(g *gateway) bool {
	lat := b.latency > 0 && g.latency > 0 &&
		float64(g.latency) > slowFactor*float64(b.latency) && g.latency-b.latency > slowMargin
	bt := b.blockTime > 0 &&
		g.blockTime() > slowFactor*b.blockTime && g.blockTime()-b.blockTime > slowMargin.Seconds()
	return lat || bt
}
