package gwfetch

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// TestProbesWarmRanking: a fresh Fetcher probes every gateway with the
// identity CID in the background, and the ranking then orders them by
// measured latency with the dead one last, before any block was asked for.
func TestProbesWarmRanking(t *testing.T) {
	c := importRandom(t, 2<<20, 14)
	var near, mid, far hits
	nearURL := served(t, near.wrap(gatewayHandler(c)))
	midURL := served(t, mid.wrap(delayed(80*time.Millisecond, gatewayHandler(c))))
	farURL := served(t, far.wrap(delayed(250*time.Millisecond, gatewayHandler(c))))
	dead := deadURL(t)

	// Until a probe answers, a gateway is untested: one held back shows
	// it (a loopback gateway that answers at once may beat any check).
	release := make(chan struct{})
	heldURL := served(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		gatewayHandler(c).ServeHTTP(w, r)
	}))
	held := newFetcher(t, []string{heldURL, dead})
	for _, r := range held.Ranking() {
		if r.State != StateUntested && r.State != StateUnreachable {
			t.Errorf("%s is %q before its probe answered", r.URL, r.State)
		}
	}
	close(release)

	start := time.Now()
	f := newFetcher(t, []string{dead, farURL, midURL, nearURL})
	waitFor(t, "startup probes", 30*time.Second, func() bool {
		return near.probes.Load() == 2 && mid.probes.Load() == 2 && far.probes.Load() == 2 &&
			rankOf(f, farURL).Requests == 2 && rankOf(f, dead).Requests == 1
	})
	t.Logf("warm after %v: %s", time.Since(start).Round(time.Millisecond), rankingString(f))

	rank := f.Ranking()
	order := []string{nearURL, midURL, farURL, dead}
	for i, u := range order {
		if rank[i].URL != u {
			t.Errorf("rank %d is %s, want %s", i, rank[i].URL, u)
		}
	}
	if l := rankOf(f, nearURL).Latency; l <= 0 || l >= 80*time.Millisecond {
		t.Errorf("near gateway latency %v", l)
	}
	if l := rankOf(f, midURL).Latency; l < 80*time.Millisecond || l >= 250*time.Millisecond {
		t.Errorf("mid gateway latency %v, want 80–250 ms", l)
	}
	if l := rankOf(f, farURL).Latency; l < 250*time.Millisecond {
		t.Errorf("far gateway latency %v, want ≥ 250 ms", l)
	}
	if r := rankOf(f, dead); r.State != StateUnreachable {
		t.Errorf("dead gateway %q, want unreachable", r.State)
	}
	if r := rankOf(f, farURL); r.State != StateSlow {
		t.Errorf("far gateway %q, want slow", r.State)
	}
	if n := near.blocks.Load() + mid.blocks.Load() + far.blocks.Load(); n != 0 {
		t.Errorf("probing asked for %d blocks", n)
	}
	if n := f.BytesRequested(); n != 0 {
		t.Errorf("probes read %d body bytes, want 0", n)
	}
}

// TestIdleGatewaysReprobed: idle gateways are probed again every interval,
// except one cooling down.
func TestIdleGatewaysReprobed(t *testing.T) {
	c := importRandom(t, 2<<20, 15)
	var idle, throttled hits
	idleURL := served(t, idle.wrap(gatewayHandler(c)))
	var on atomic.Bool
	on.Store(true)
	throttledURL := served(t, throttled.wrap(throttling(&on, http.StatusTooManyRequests,
		func() string { return "600" }, gatewayHandler(c))))
	f := newFetcher(t, []string{idleURL, throttledURL}, WithProbeInterval(100*time.Millisecond))
	waitFor(t, "repeated probes", 30*time.Second, func() bool { return idle.probes.Load() >= 6 })
	if n := throttled.probes.Load(); n != 1 {
		t.Errorf("throttled gateway probed %d times, want once (then left alone while cooling down)", n)
	}
	if r := rankOf(f, throttledURL); r.State != StateCooling {
		t.Errorf("throttled gateway %q", r.State)
	}
}

func TestProbingOff(t *testing.T) {
	c := importRandom(t, 2<<20, 16)
	var h hits
	url := served(t, h.wrap(gatewayHandler(c)))
	f := newFetcher(t, []string{url}, WithProbeInterval(0))
	if _, err := f.Fetch(context.Background(), c.leaves[0]); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if n := h.probes.Load(); n != 0 {
		t.Errorf("%d probes with probing off", n)
	}
}
