package gwfetch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"
)

var (
	// ErrNoGateways is returned when no gateway may be asked: none
	// configured, or all banned or cooling down.
	ErrNoGateways = errors.New("no usable gateway")
	// ErrNotFound is returned when every gateway asked said it does not
	// have the block.
	ErrNotFound = errors.New("no gateway has the block")
	// ErrClosed is returned by Fetch after Close.
	ErrClosed = errors.New("fetcher closed")
)

// Fetcher fetches verified blocks from a ranked set of gateways. It is safe
// for concurrent use.
type Fetcher struct {
	cfg      config
	client   *http.Client
	ownTrans *http.Transport
	gws      []*gateway

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu        sync.Mutex
	closed    bool
	slotFreed chan struct{} // closed and replaced whenever a slot frees

	requested atomic.Int64
	closeOnce sync.Once
}

// New returns a Fetcher over gateways (base URLs such as
// "https://ipfs.io"; a trailing slash or "/ipfs" is tolerated) and, unless
// probing is off, starts probing them in the background. Fetcher's own
// goroutines stop at Close or when ctx ends.
func New(ctx context.Context, gateways []string, opts ...Option) (*Fetcher, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	f := &Fetcher{cfg: cfg, slotFreed: make(chan struct{})}
	if cfg.client != nil {
		f.client = cfg.client
	} else {
		f.ownTrans = newTransport()
		f.client = newClient(f.ownTrans)
	}
	seen := map[string]bool{}
	for _, raw := range gateways {
		base, err := normalize(raw)
		if err != nil {
			return nil, fmt.Errorf("gwfetch.New: %w", err)
		}
		if seen[base] {
			continue
		}
		seen[base] = true
		f.gws = append(f.gws, &gateway{url: base})
	}
	f.ctx, f.cancel = context.WithCancel(ctx)
	if cfg.probeInterval > 0 && len(f.gws) > 0 {
		f.wg.Add(1)
		go f.probeLoop()
	}
	return f, nil
}

func normalize(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", fmt.Errorf("gateway %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return "", fmt.Errorf("gateway %q: want an http(s) URL with a host", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("gateway %q: want a base URL without query, fragment or user", raw)
	}
	// Escaped: requests append to it, so a decoded "%3F" would start a
	// query. Trailing "/ipfs" segments go until none is left, so that a
	// base normalizes to itself.
	p := u.EscapedPath()
	for {
		trimmed := strings.TrimSuffix(strings.TrimRight(p, "/"), "/ipfs")
		if trimmed == p {
			break
		}
		p = trimmed
	}
	return u.Scheme + "://" + u.Host + p, nil
}

func newTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ForceAttemptHTTP2 = true
	t.DisableCompression = true
	t.MaxIdleConns = 64
	t.MaxIdleConnsPerHost = 16
	t.IdleConnTimeout = 90 * time.Second
	return t
}

// maxRedirects allows a gateway's path-to-subdomain or load-balancer hop;
// whatever answers is verified all the same.
const maxRedirects = 3

func newClient(rt http.RoundTripper) *http.Client {
	return &http.Client{
		Transport: rt,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects {
				return fmt.Errorf("stopped after %d redirects", maxRedirects)
			}
			return nil
		},
	}
}

// track counts a goroutine that Close must wait for; false after Close.
func (f *Fetcher) track() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return false
	}
	f.wg.Add(1)
	return true
}

type attemptResult struct {
	g    *gateway
	data []byte
	err  error
}

// Fetch returns the block c from the best gateway, verified against c.
// Cancelling ctx stops every request made for it.
func (f *Fetcher) Fetch(ctx context.Context, c cid.Cid) (blocks.Block, error) {
	pref := c.Prefix()
	if pref.MhType == multihash.IDENTITY {
		dec, err := multihash.Decode(c.Hash())
		if err != nil {
			return nil, fmt.Errorf("gwfetch.Fetch %s: %w", c, err)
		}
		return blocks.NewBlockWithCid(dec.Digest, c)
	}
	if _, err := pref.Sum(nil); err != nil {
		return nil, fmt.Errorf("gwfetch.Fetch %s: cannot verify: %w", c, err)
	}
	if !f.track() {
		return nil, fmt.Errorf("gwfetch.Fetch %s: %w", c, ErrClosed)
	}
	defer f.wg.Done()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(f.ctx, cancel)()

	tried := map[*gateway]bool{}
	results := make(chan attemptResult, len(f.gws))
	answered := make(chan struct{}, len(f.gws))
	token := newBodyToken()
	running := 0
	start := func(g *gateway) {
		tried[g] = true
		running++
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			data, err := f.attempt(ctx, g, c, token, answered)
			results <- attemptResult{g: g, data: data, err: err}
		}()
	}

	g, err := f.pick(ctx, tried, true)
	if err != nil {
		return nil, fmt.Errorf("gwfetch.Fetch %s: %w", c, err)
	}
	start(g)
	hedge := time.NewTimer(f.hedgeDelay(g))
	defer hedge.Stop()
	hedged := false
	var errs []error
	for running > 0 {
		select {
		case r := <-results:
			running--
			if r.err == nil {
				r.g.served.Add(int64(len(r.data)))
				return blocks.NewBlockWithCid(r.data, c)
			}
			errs = append(errs, fmt.Errorf("%s: %w", r.g.url, r.err))
			if ctx.Err() != nil {
				return nil, fmt.Errorf("gwfetch.Fetch %s: %w", c, context.Cause(ctx))
			}
			// Wait for a slot only when nothing else is running for us;
			// otherwise the running attempt may still deliver.
			next, err := f.pick(ctx, tried, running == 0)
			if err == nil && next != nil {
				start(next)
				if !hedged {
					hedge.Reset(f.hedgeDelay(next))
				}
			} else if ctx.Err() != nil {
				return nil, fmt.Errorf("gwfetch.Fetch %s: %w", c, context.Cause(ctx))
			}
		case <-answered:
			hedge.Stop()
		case <-hedge.C:
			if hedged {
				continue
			}
			if next, _ := f.pick(ctx, tried, false); next != nil {
				hedged = true
				start(next)
			}
		case <-ctx.Done():
			return nil, fmt.Errorf("gwfetch.Fetch %s: %w", c, context.Cause(ctx))
		}
	}
	if len(errs) > 0 && allNotFound(errs) {
		return nil, fmt.Errorf("gwfetch.Fetch %s: %w: %w", c, ErrNotFound, errors.Join(errs...))
	}
	return nil, fmt.Errorf("gwfetch.Fetch %s: %w", c, errors.Join(errs...))
}

func allNotFound(errs []error) bool {
	for _, err := range errs {
		if !errors.Is(err, errMiss) {
			return false
		}
	}
	return true
}

var errNoneLeft = errors.New("no untried usable gateway")

// pick reserves a request slot on the gateway that should take the next
// attempt, skipping those already tried. With wait it queues for the
// cheapest gateway when that one is full; without, it takes the cheapest
// with a free slot or returns nil. ErrNoGateways means nothing is usable at
// all (only possible before anything was tried).
func (f *Fetcher) pick(ctx context.Context, tried map[*gateway]bool, wait bool) (*gateway, error) {
	for {
		f.mu.Lock()
		now := time.Now()
		var best, bestFree *gateway
		var bestCost, bestFreeCost float64
		for _, g := range f.gws {
			if tried[g] || !g.usable(now) {
				continue
			}
			cost := g.cost(f.cfg.maxInFlight)
			if best == nil || cost < bestCost {
				best, bestCost = g, cost
			}
			if g.inflight < f.cfg.maxInFlight && (bestFree == nil || cost < bestFreeCost) {
				bestFree, bestFreeCost = g, cost
			}
		}
		switch {
		case best == nil:
			f.mu.Unlock()
			if len(tried) == 0 {
				return nil, ErrNoGateways
			}
			return nil, errNoneLeft
		case best.inflight < f.cfg.maxInFlight:
			best.inflight++
			f.mu.Unlock()
			return best, nil
		case !wait:
			if bestFree != nil {
				bestFree.inflight++
			}
			f.mu.Unlock()
			return bestFree, nil
		}
		best.queued++
		freed := f.slotFreed
		f.mu.Unlock()
		// The timer re-evaluates now and then, since a cooldown ending
		// frees no slot.
		t := time.NewTimer(250 * time.Millisecond)
		select {
		case <-freed:
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
		f.mu.Lock()
		best.queued--
		f.mu.Unlock()
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
	}
}

func (f *Fetcher) release(g *gateway) {
	f.mu.Lock()
	g.inflight--
	close(f.slotFreed)
	f.slotFreed = make(chan struct{})
	f.mu.Unlock()
}

func (f *Fetcher) hedgeDelay(g *gateway) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return g.hedgeDelay(&f.cfg)
}

// Ranking returns every gateway's standing, usable ones best first, then
// those cooling down, unreachable and banned.
func (f *Fetcher) Ranking() []Rank {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	var best bests
	for _, g := range f.gws {
		if g.usable(now) && !g.unreachable && g.requests > 0 {
			best.add(g)
		}
	}
	out := make([]Rank, 0, len(f.gws))
	for _, g := range f.gws {
		r := Rank{
			URL:         g.url,
			Score:       g.score(now),
			Latency:     g.latency,
			Throughput:  g.throughput,
			SuccessRate: g.successRate(),
			State:       g.state(now, best),
			Served:      g.served.Load(),
			Requested:   g.requested.Load(),
			Requests:    g.requests,
			InFlight:    g.inflight,
			Until:       g.until(now),
		}
		out = append(out, r)
	}
	group := func(s string) int {
		switch s {
		case StateCooling:
			return 1
		case StateUnreachable:
			return 2
		case StateBanned:
			return 3
		}
		return 0
	}
	slices.SortStableFunc(out, func(a, b Rank) int {
		if ga, gb := group(a.State), group(b.State); ga != gb {
			return ga - gb
		}
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return 0
	})
	return out
}

// BytesFrom returns the verified block bytes each gateway delivered to
// callers since New, by gateway URL.
func (f *Fetcher) BytesFrom() map[string]int64 {
	out := make(map[string]int64, len(f.gws))
	for _, g := range f.gws {
		out[g.url] = g.served.Load()
	}
	return out
}

// BytesRequested returns every response body byte read from any gateway
// since New: delivered blocks, hedges, failures, cancelled responses and
// probes.
func (f *Fetcher) BytesRequested() int64 { return f.requested.Load() }

// Close stops probing, cancels every request in flight and waits for them.
func (f *Fetcher) Close() error {
	f.closeOnce.Do(func() {
		f.mu.Lock()
		f.closed = true
		f.mu.Unlock()
		f.cancel()
		f.wg.Wait()
		if f.ownTrans != nil {
			f.ownTrans.CloseIdleConnections()
		}
	})
	return nil
}
