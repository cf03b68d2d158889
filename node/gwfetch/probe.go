package gwfetch

import (
	"sync"
	"time"

	"github.com/ipfs/go-cid"
)

// probeCID is the identity CID of the empty block: every trustless gateway
// can answer it without looking anything up, so it measures the gateway
// and the path to it, nothing else.
var probeCID = cid.MustParse("bafkqaaa")

// probeLoop warms the ranking at start and keeps idle gateways measured.
func (f *Fetcher) probeLoop() {
	defer f.wg.Done()
	var wg sync.WaitGroup
	for _, g := range f.gws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// The first probe pays for the connection (DNS, TCP, TLS);
			// the second measures what a request will cost from now on.
			for range startupProbeRuns {
				if !f.probe(g) {
					return
				}
			}
		}()
	}
	wg.Wait()

	tick := time.NewTicker(max(f.cfg.probeInterval/4, 10*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-f.ctx.Done():
			return
		case <-tick.C:
		}
		for _, g := range f.idle() {
			wg.Add(1)
			go func() {
				defer wg.Done()
				f.probe(g)
			}()
		}
		wg.Wait()
	}
}

// idle lists gateways worth probing: nothing finished on them for a probe
// interval, nothing in flight, and not banned or cooling down.
func (f *Fetcher) idle() []*gateway {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	var out []*gateway
	for _, g := range f.gws {
		if g.usable(now) && g.inflight == 0 && now.Sub(g.lastActive) >= f.cfg.probeInterval {
			out = append(out, g)
		}
	}
	return out
}

// probe asks g for the identity block and records the outcome like any
// request; it reports whether g answered well.
func (f *Fetcher) probe(g *gateway) bool {
	if f.ctx.Err() != nil {
		return false
	}
	_, rep := f.get(f.ctx, g, probeCID, nil, nil)
	f.record(g, probeCID, rep)
	return rep.err == nil
}
