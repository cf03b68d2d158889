package gwfetch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"
)

// TestFourGateways is the acceptance test of the ranking: one good, one slow,
// one dead and one lying gateway serve a 40 MiB file to a reader with 16
// blocks in flight.
func TestFourGateways(t *testing.T) {
	c := importRandom(t, 40<<20, 4)
	var good, slow, liar hits
	goodURL := served(t, good.wrap(gatewayHandler(c)))
	slowURL := served(t, slow.wrap(delayed(150*time.Millisecond, gatewayHandler(c))))
	liarURL := served(t, liar.wrap(lying(c, gatewayHandler(c))))
	dead := deadURL(t)
	log, logs := testLogger(t)
	f := newFetcher(t, []string{dead, liarURL, slowURL, goodURL}, WithLogger(log))

	waitFor(t, "startup probes", 30*time.Second, func() bool {
		for _, r := range f.Ranking() {
			if r.State == StateUntested {
				return false
			}
		}
		return true
	})
	t.Logf("after probes: %s", rankingString(f))

	// Warm-up: the root and the first 8 leaves, as a player's first reads.
	warm := append([]cid.Cid{c.root}, c.leaves[:8]...)
	fetchAll(t, f, c, warm, 16)
	warmNeeded, warmRequested := sum(c, warm), f.BytesRequested()
	t.Logf("after warm-up: %s", rankingString(f))

	rest := c.leaves[8:]
	fetchAll(t, f, c, rest, 16)
	needed := sum(c, rest)
	requested := f.BytesRequested() - warmRequested
	if err := f.Close(); err != nil { // waits for cancelled hedges, so the count is final
		t.Fatal(err)
	}
	requested = f.BytesRequested() - warmRequested
	ratio := float64(requested) / float64(needed)
	overall := float64(f.BytesRequested()) / float64(warmNeeded+needed)
	t.Logf("once warm: requested %d for %d needed (%.3f×); overall %.3f× (warm-up read %d for %d)",
		requested, needed, ratio, overall, warmRequested, warmNeeded)
	if ratio > 1.25 {
		t.Errorf("once warm, requested %.3f× the bytes needed, want ≤ 1.25×", ratio)
	}

	from := f.BytesFrom()
	var total int64
	for _, n := range from {
		total += n
	}
	if total != warmNeeded+needed {
		t.Errorf("delivered %d bytes, want %d", total, warmNeeded+needed)
	}
	for _, u := range []string{goodURL, slowURL, liarURL, dead} {
		t.Logf("share %-24s %5.1f%% (%d bytes; %d block requests)", u, 100*float64(from[u])/float64(total), from[u],
			map[string]int64{goodURL: good.blocks.Load(), slowURL: slow.blocks.Load(), liarURL: liar.blocks.Load()}[u])
	}
	if from[goodURL]*2 < total {
		t.Errorf("good gateway delivered %d of %d bytes, want most", from[goodURL], total)
	}
	if from[liarURL] > int64(len(c.blocks[c.root])) {
		t.Errorf("liar delivered %d bytes, want at most the honest root", from[liarURL])
	}

	rank := f.Ranking()
	t.Logf("final: %s", rankingString(f))
	if rank[0].URL != goodURL || rank[0].State != StateOK {
		t.Errorf("best gateway %s (%s), want %s ok", rank[0].URL, rank[0].State, goodURL)
	}
	if r := rankOf(f, liarURL); r.State != StateBanned || time.Until(r.Until) < 23*time.Hour {
		t.Errorf("liar: state %q until %v, want banned for about a day", r.State, r.Until)
	}
	if r := rankOf(f, dead); r.State != StateUnreachable || r.Score >= rankOf(f, goodURL).Score {
		t.Errorf("dead gateway: state %q score %.2f, want unreachable and below the good one", r.State, r.Score)
	}
	if i := indexOf(rank, dead); i < indexOf(rank, goodURL) || i < indexOf(rank, slowURL) {
		t.Errorf("dead gateway ranked %d, want after the good and slow ones", i)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "banned") ||
		!strings.Contains(logs.String(), liarURL) {
		t.Errorf("no warning naming the banned liar in the log")
	}
}

func indexOf(rank []Rank, url string) int {
	for i, r := range rank {
		if r.URL == url {
			return i
		}
	}
	return -1
}

func rankingString(f *Fetcher) string {
	var b strings.Builder
	for _, r := range f.Ranking() {
		b.WriteString("\n  ")
		b.WriteString(r.URL)
		b.WriteString(" " + r.State)
		b.WriteString(" score=" + ftoa(r.Score))
		b.WriteString(" ttfb=" + r.Latency.Round(10*time.Microsecond).String())
		b.WriteString(" rate=" + ftoa(r.Throughput/(1<<20)) + "MiB/s")
		b.WriteString(" ok=" + ftoa(r.SuccessRate))
	}
	return b.String()
}

func ftoa(v float64) string { return fmt.Sprintf("%.3g", v) }

// TestHedgeWhenHeadersLate: a gateway that usually answers at once but is
// silent for one block gets that request hedged to the next gateway after
// about twice its usual latency, and the late response costs no body bytes.
func TestHedgeWhenHeadersLate(t *testing.T) {
	c := importRandom(t, 2<<20, 5)
	stuck := c.leaves[1]
	var first, second hits
	inner := gatewayHandler(c)
	firstURL := served(t, first.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, stuck.String()) {
			<-r.Context().Done() // headers never come
			return
		}
		inner.ServeHTTP(w, r)
	})))
	secondURL := served(t, second.wrap(delayed(30*time.Millisecond, gatewayHandler(c))))
	f := newFetcher(t, []string{secondURL, firstURL})
	waitFor(t, "startup probes", 30*time.Second, func() bool {
		return rankOf(f, firstURL).Requests >= 2 && rankOf(f, secondURL).Requests >= 2
	})
	fetchAll(t, f, c, c.leaves[:1], 1) // teaches the ranking the first one's throughput
	if first.blocks.Load() != 1 {
		t.Fatalf("warm-up block went to the second gateway (first %d, second %d)", first.blocks.Load(), second.blocks.Load())
	}

	before := f.BytesRequested()
	start := time.Now()
	b, err := f.Fetch(context.Background(), stuck)
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if !b.Cid().Equals(stuck) {
		t.Fatalf("got block %s", b.Cid())
	}
	t.Logf("hedged fetch took %v (first gateway's latency %v, hedge delay %v)", took,
		rankOf(f, firstURL).Latency, f.hedgeDelay(f.gws[1]))
	if took > 3*time.Second {
		t.Errorf("hedged fetch took %v, want well under the 5 s header bound", took)
	}
	if got, want := f.BytesRequested()-before, int64(len(c.blocks[stuck])); got != want {
		t.Errorf("read %d body bytes for a %d byte block", got, want)
	}
	if first.blocks.Load() != 2 || second.blocks.Load() != 1 {
		t.Errorf("block requests: first %d, second %d; want 2 and 1", first.blocks.Load(), second.blocks.Load())
	}
}

// TestPerGatewayInFlightLimit: however many blocks the reader wants at once,
// one gateway never has more than its limit of requests.
func TestPerGatewayInFlightLimit(t *testing.T) {
	c := importRandom(t, 24<<20, 6)
	var h hits
	url := served(t, h.wrap(delayed(50*time.Millisecond, gatewayHandler(c))))
	f := newFetcher(t, []string{url}, WithMaxInFlight(3), WithProbeInterval(0))
	fetchAll(t, f, c, c.leaves, 16)
	if m := h.maxAtOne.Load(); m != 3 {
		t.Errorf("gateway saw %d requests at once, want the limit 3", m)
	}
}

// TestCancelStopsRequests: cancelling a Fetch ends its request at the
// gateway too, without counting against the gateway, and Close ends a Fetch
// in flight.
func TestCancelStopsRequests(t *testing.T) {
	c := importRandom(t, 2<<20, 7)
	arrived, gone := make(chan struct{}, 4), make(chan struct{}, 4)
	url := served(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-r.Context().Done()
		gone <- struct{}{}
	}))
	f := newFetcher(t, []string{url}, WithProbeInterval(0))
	wait := func(ch chan struct{}, what string) {
		t.Helper()
		select {
		case <-ch:
		case <-time.After(30 * time.Second):
			t.Fatal(what)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := f.Fetch(ctx, c.leaves[0])
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Fetch error %v, want the context's deadline", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("cancelled Fetch returned after %v", took)
	}
	wait(arrived, "request never reached the gateway")
	wait(gone, "the gateway's request was not cancelled")
	if r := rankOf(f, url); r.Requests != 0 || r.State != StateUntested {
		t.Errorf("a request the caller cancelled counted against the gateway: %+v", r)
	}

	errc := make(chan error, 1)
	go func() {
		_, err := f.Fetch(context.Background(), c.leaves[0])
		errc <- err
	}()
	wait(arrived, "second request never reached the gateway")
	start = time.Now()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("Close took %v with a request in flight", took)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Fetch during Close: %v, want cancelled", err)
		}
	default:
		t.Error("Close returned before the Fetch in flight did")
	}
	wait(gone, "Close left the gateway's request running")
	if _, err := f.Fetch(context.Background(), c.leaves[0]); !errors.Is(err, ErrClosed) {
		t.Errorf("Fetch after Close: %v, want ErrClosed", err)
	}
}

func TestNewRejectsBadURLs(t *testing.T) {
	for _, u := range []string{"ftp://example.org", "example.org", "http://", "https://h/x?y=1", "://"} {
		if _, err := New(context.Background(), []string{u}); err == nil {
			t.Errorf("New accepted %q", u)
		}
	}
	f := newFetcher(t, []string{"https://ipfs.io/", "https://ipfs.io/ipfs/", "http://127.0.0.1:8080/base/"}, WithProbeInterval(0))
	var urls []string
	for _, r := range f.Ranking() {
		urls = append(urls, r.URL)
	}
	if got := strings.Join(urls, " "); got != "https://ipfs.io http://127.0.0.1:8080/base" {
		t.Errorf("gateways %q", got)
	}
}

func TestIdentityCIDNeedsNoGateway(t *testing.T) {
	f := newFetcher(t, nil)
	mh, err := multihash.Sum([]byte("hello"), multihash.IDENTITY, -1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.Fetch(context.Background(), cid.NewCidV1(cid.Raw, mh))
	if err != nil || string(b.RawData()) != "hello" {
		t.Fatalf("identity block %v, %v", b, err)
	}
	c := importRandom(t, 2<<20, 8)
	if _, err := f.Fetch(context.Background(), c.leaves[0]); !errors.Is(err, ErrNoGateways) {
		t.Errorf("Fetch without gateways: %v, want ErrNoGateways", err)
	}
}

// TestNotFoundEverywhere: a block no gateway has gives ErrNotFound after
// asking each gateway once, and 404s cost the gateways no cooldown.
func TestNotFoundEverywhere(t *testing.T) {
	c := importRandom(t, 2<<20, 9)
	other := importRandom(t, 2<<20, 10)
	var a, b hits
	urlA := served(t, a.wrap(gatewayHandler(c)))
	urlB := served(t, b.wrap(gatewayHandler(c)))
	f := newFetcher(t, []string{urlA, urlB}, WithProbeInterval(0))
	_, err := f.Fetch(context.Background(), other.leaves[0])
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("Fetch of a missing block: %v, want ErrNotFound", err)
	}
	if a.blocks.Load() != 1 || b.blocks.Load() != 1 {
		t.Errorf("requests %d and %d, want one each", a.blocks.Load(), b.blocks.Load())
	}
	for _, r := range f.Ranking() {
		if r.State != StateOK {
			t.Errorf("%s is %q after a 404, want ok", r.URL, r.State)
		}
	}
}

// TestHedgeCostsNoSecondBody: when the hedged gateway is reading its body
// and the first one answers late, the late response waits its turn and is
// cancelled unread once the block is in.
func TestHedgeCostsNoSecondBody(t *testing.T) {
	c := importRandom(t, 2<<20, 17)
	want := c.leaves[0]
	var first, second hits
	inner := gatewayHandler(c)
	firstURL := served(t, first.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, want.String()) {
			delayed(300*time.Millisecond, inner).ServeHTTP(w, r)
			return
		}
		inner.ServeHTTP(w, r)
	})))
	secondURL := served(t, second.wrap(delayed(100*time.Millisecond, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, ok := c.blocks[want]
		if !strings.Contains(r.URL.Path, want.String()) || !ok {
			inner.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/vnd.ipld.raw")
		w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		_, _ = w.Write(data[:len(data)/2])
		w.(http.Flusher).Flush()
		pause := time.NewTimer(500 * time.Millisecond) // still within the stall bound
		defer pause.Stop()
		select {
		case <-pause.C:
		case <-r.Context().Done():
			return
		}
		_, _ = w.Write(data[len(data)/2:])
	}))))
	f := newFetcher(t, []string{secondURL, firstURL})
	waitFor(t, "startup probes", 30*time.Second, func() bool {
		return rankOf(f, firstURL).Requests >= 2 && rankOf(f, secondURL).Requests >= 2
	})
	start := time.Now()
	b, err := f.Fetch(context.Background(), want)
	if err != nil || !b.Cid().Equals(want) {
		t.Fatalf("Fetch: %v", err)
	}
	t.Logf("fetch took %v", time.Since(start).Round(time.Millisecond))
	if first.blocks.Load() != 1 || second.blocks.Load() != 1 {
		t.Fatalf("block requests: first %d, second %d; want one each (a hedge)", first.blocks.Load(), second.blocks.Load())
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if got, size := f.BytesRequested(), int64(len(c.blocks[want])); got != size {
		t.Errorf("read %d body bytes for a %d byte block", got, size)
	}
	if got := f.BytesFrom()[secondURL]; got != int64(len(c.blocks[want])) {
		t.Errorf("second gateway delivered %d bytes", got)
	}
}
