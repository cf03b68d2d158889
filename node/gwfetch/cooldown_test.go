package gwfetch

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// throttling answers block requests with status and Retry-After while on,
// and passes everything to next otherwise. Probes pass through always.
func throttling(on *atomic.Bool, status int, retryAfter func() string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if on.Load() {
			if v := retryAfter(); v != "" {
				w.Header().Set("Retry-After", v)
			}
			http.Error(w, "slow down", status)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// TestRetryAfterHonoured: 429 and 503 put the gateway in a cooldown as long
// as its Retry-After (or the backoff without one, or the cap), during which
// it gets no request, and it serves again afterwards.
func TestRetryAfterHonoured(t *testing.T) {
	c := importRandom(t, 3<<20, 12)
	cases := []struct {
		name       string
		status     int
		retryAfter func() string
		opts       []Option
		min, max   time.Duration // the cooldown Ranking reports
	}{
		{"429 delay-seconds", http.StatusTooManyRequests, func() string { return "2" }, nil, 1900 * time.Millisecond, 2100 * time.Millisecond},
		{"503 HTTP date", http.StatusServiceUnavailable,
			func() string { return time.Now().Add(3 * time.Second).UTC().Format(http.TimeFormat) }, nil,
			1900 * time.Millisecond, 3100 * time.Millisecond},
		{"429 without Retry-After", http.StatusTooManyRequests, func() string { return "" },
			[]Option{WithBackoff(700 * time.Millisecond)}, 600 * time.Millisecond, 800 * time.Millisecond},
		{"503 asking for an hour, capped", http.StatusServiceUnavailable, func() string { return "3600" },
			[]Option{WithMaxCooldown(1500 * time.Millisecond)}, 1400 * time.Millisecond, 1600 * time.Millisecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var on atomic.Bool
			on.Store(true)
			var h hits
			url := served(t, h.wrap(throttling(&on, tc.status, tc.retryAfter, gatewayHandler(c))))
			f := newFetcher(t, []string{url}, append([]Option{WithProbeInterval(0)}, tc.opts...)...)

			_, err := f.Fetch(context.Background(), c.leaves[0])
			answered := time.Now()
			if !errors.Is(err, errRetryLater) {
				t.Fatalf("Fetch from a throttling gateway: %v", err)
			}
			r := rankOf(f, url)
			if cool := r.Until.Sub(answered); r.State != StateCooling || cool < tc.min || cool > tc.max {
				t.Fatalf("gateway %q for %v, want cooling down for %v–%v", r.State, cool, tc.min, tc.max)
			}
			if _, err := f.Fetch(context.Background(), c.leaves[1]); !errors.Is(err, ErrNoGateways) {
				t.Errorf("Fetch during the cooldown: %v, want ErrNoGateways", err)
			}
			if n := h.blocks.Load(); n != 1 {
				t.Errorf("gateway got %d requests, want 1 (none during its cooldown)", n)
			}

			on.Store(false)
			waitFor(t, "the cooldown to end", 30*time.Second, func() bool { return rankOf(f, url).State != StateCooling })
			if over := time.Since(answered); over < tc.min {
				t.Errorf("cooldown ended after %v, want at least %v", over, tc.min)
			}
			if _, err := f.Fetch(context.Background(), c.leaves[1]); err != nil {
				t.Fatalf("Fetch after the cooldown: %v", err)
			}
			if n := h.blocks.Load(); n != 2 {
				t.Errorf("gateway got %d requests, want 2", n)
			}
		})
	}
}

// TestCooldownSendsRequestsElsewhere: while one gateway cools down, the other
// serves everything, and the cooling one is not asked.
func TestCooldownSendsRequestsElsewhere(t *testing.T) {
	c := importRandom(t, 6<<20, 13)
	var on atomic.Bool
	on.Store(true)
	var a, b hits
	urlA := served(t, a.wrap(throttling(&on, http.StatusTooManyRequests, func() string { return "600" }, gatewayHandler(c))))
	urlB := served(t, b.wrap(gatewayHandler(c)))
	f := newFetcher(t, []string{urlA, urlB}, WithProbeInterval(0))
	fetchAll(t, f, c, c.leaves, 4)
	if n := a.blocks.Load(); n < 1 || n > 4 {
		t.Errorf("throttling gateway got %d requests, want the first few only", n)
	}
	if got, want := f.BytesFrom()[urlB], sum(c, c.leaves); got != want {
		t.Errorf("other gateway delivered %d bytes, want all %d", got, want)
	}
	if r := rankOf(f, urlA); r.State != StateCooling || time.Until(r.Until) < 9*time.Minute {
		t.Errorf("throttling gateway %q until %v, want cooling down for 10 minutes", r.State, r.Until)
	}
}
