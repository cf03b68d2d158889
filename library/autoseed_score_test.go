package library

import (
	"math"
	"testing"
	"time"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// The formula, step by step: decay by half-lives, increments from
// cumulative counters, a node restart, size normalisation, gossip level
// and the under-replication divisor.
func TestPopularityFormula(t *testing.T) {
	const h = 6 * time.Hour
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var p popularity
	p.decayTo(t0, h)
	// Four past viewings, the last one a half-life ago: worth two now.
	p.observeWatches(t0, Video{WatchCount: 4, LastWatched: t0.Add(-h)}, h)
	if !near(p.watches, 2) {
		t.Fatalf("first sight of 4 viewings a half-life old: %v, want 2", p.watches)
	}
	// One more viewing a half-life later: 2/2 + 1.
	p.decayTo(t0.Add(h), h)
	p.observeWatches(t0.Add(h), Video{WatchCount: 5, LastWatched: t0.Add(h)}, h)
	if !near(p.watches, 2) {
		t.Fatalf("after a half-life and a new viewing: %v, want 2", p.watches)
	}
	// Demand counters: increments count, a drop (node restart) starts over.
	now := t0.Add(h)
	p.observeDemand(now, VideoDemand{Wants: 16, BytesSent: 8 << 20, LastWant: now}, h)
	p.observeDemand(now, VideoDemand{Wants: 24, BytesSent: 16 << 20, LastWant: now}, h)
	p.observeDemand(now, VideoDemand{Wants: 8, BytesSent: 0, LastWant: now}, h)
	if !near(p.wants, 32) || !near(p.bytes, 16<<20) {
		t.Fatalf("demand sums: %v wants, %v bytes; want 32 and 16 MiB", p.wants, p.bytes)
	}

	// Gossip: a rate, integrated over time. Heard anew it counts one
	// period (16 wants a minute: 2 copies of an 8 MiB video); two periods
	// later, two more; rounds twenty periods apart count ten at most.
	const period = time.Minute
	heard := HeardVideo{Providers: 1, WantsPerSecond: 16.0 / 60, BytesPerSecond: 4 << 20 / 60.0}
	p.observeHeard(now, heard, period)
	p.observeHeard(now.Add(2*period), heard, period)
	if !near(p.heardWants, 48) {
		t.Fatalf("heard wants %v, want 16 + 2×16", p.heardWants)
	}
	var late popularity
	late.observeHeard(now, heard, period)
	late.observeHeard(now.Add(20*period), heard, period)
	if !near(late.heardWants, 16+10*16) {
		t.Fatalf("heard wants over a 20-period gap %v, want 16 + 10×16", late.heardWants)
	}
	// An 8 MiB video: 32 wants are 4 copies asked for, 16 MiB two served:
	// local demand is the larger, 4; gossip 48 wants, 6.
	s := computeScore(scoreInputs{pop: &p, heard: heard, size: 8 << 20, providers: 2})
	if !near(s.Watches, 2) || !near(s.LocalDemand, 4) || !near(s.HeardDemand, 6) || !near(s.Heat, 12) {
		t.Fatalf("parts %+v, want watches 2, local 4, heard 6, heat 12", s)
	}
	if s.Providers != 2 || !near(s.Score, 4) {
		t.Fatalf("score %v with %d providers, want 12/3 with 2", s.Score, s.Providers)
	}
	// Gossip peers count as providers when the DHT knows fewer; bytes
	// served count when they say more than wants.
	var q popularity
	q.observeHeard(now, HeardVideo{Providers: 3, WantsPerSecond: 1.0 / 60, BytesPerSecond: 8 << 20 / 60.0}, period)
	s = computeScore(scoreInputs{pop: &q, heard: HeardVideo{Providers: 3}, size: 8 << 20, providers: -1})
	if s.Providers != 3 || !near(s.Score, 0.25) {
		t.Fatalf("gossip-only score %+v, want 1 viewing / (1+3)", s)
	}
	// Faded to nothing: forgotten.
	p.decayTo(now.Add(40*h), h)
	if !p.negligible() {
		t.Fatalf("40 half-lives later still %+v", p)
	}
}

func TestAutoSeededAtRoundTrip(t *testing.T) {
	at := time.Date(2025, 2, 3, 4, 5, 6, 7, time.UTC)
	var v Video
	v.setAutoSeededAt(at)
	shared := v // a copy handed out earlier must not change
	b, err := encodeVideo(Video{Cid: testCid(t, "autoseed"), Kept: AutoSeeded, extra: v.extra})
	if err != nil {
		t.Fatal(err)
	}
	back, err := decodeVideo(testCid(t, "autoseed"), b)
	if err != nil {
		t.Fatal(err)
	}
	if !back.AutoSeededAt().Equal(at) || !back.Kept.Has(AutoSeeded) {
		t.Fatalf("round trip of %s: %v, kept %v", b, back.AutoSeededAt(), back.Kept)
	}
	v.setAutoSeededAt(time.Time{})
	if !v.AutoSeededAt().IsZero() || v.extra != nil || !shared.AutoSeededAt().Equal(at) {
		t.Fatalf("clearing: %v (extra %v), copy %v", v.AutoSeededAt(), v.extra, shared.AutoSeededAt())
	}
	if got := (Pinned | AutoSeeded).String(); got != "pinned|auto-seeded" {
		t.Fatalf("String: %q", got)
	}
}
