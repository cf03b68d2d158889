package seedview

import (
	"math"
	"testing"
	"time"
)

var t0 = time.Unix(1_700_000_000, 0) // a multiple of 10 s

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-6*math.Max(1, math.Abs(b)) }

func TestRateHistorySteadyRate(t *testing.T) {
	h := NewRateHistory(time.Minute, 10*time.Second)
	if h.Len() != 6 {
		t.Fatalf("Len = %d", h.Len())
	}
	if r := h.Rates(); len(r) != 0 {
		t.Fatalf("empty history has rates %v", r)
	}
	// 1000 B/s read at uneven times: the averages must not care.
	var total int64
	at := t0
	h.Add(at, 0)
	for _, gap := range []int{3, 7, 1, 9, 5, 5, 2, 8, 4, 6, 3, 7} { // 60 s
		at = at.Add(time.Duration(gap) * time.Second)
		total += int64(gap) * 1000
		h.Add(at, total)
	}
	h.Add(t0, 0) // older reading: ignored
	r := h.Rates()
	if len(r) != 6 {
		t.Fatalf("got %d steps, want 6: %v", len(r), r)
	}
	for i, v := range r {
		if !near(v, 1000) {
			t.Errorf("step %d = %v B/s, want 1000", i, v)
		}
	}
	if !near(h.Current(), 1000) || h.Total() != 60000 {
		t.Errorf("Current %v Total %d", h.Current(), h.Total())
	}
}

func TestRateHistoryBurstAndWrap(t *testing.T) {
	h := NewRateHistory(time.Minute, 10*time.Second)
	h.Add(t0, 0)
	// Step k (0-based) uploads k*100 B/s, for 12 steps: the ring keeps the
	// last 6, oldest first.
	var total int64
	for k := range 12 {
		for s := 1; s <= 10; s++ {
			total += int64(k * 100)
			h.Add(t0.Add(time.Duration(k*10+s)*time.Second), total)
		}
	}
	r := h.Rates()
	want := []float64{600, 700, 800, 900, 1000, 1100}
	if len(r) != len(want) {
		t.Fatalf("got %v, want %v", r, want)
	}
	for i := range want {
		if !near(r[i], want[i]) {
			t.Fatalf("got %v, want %v", r, want)
		}
	}

	// One reading spanning half of one step and half of the next splits
	// its bytes between them.
	h2 := NewRateHistory(time.Minute, 10*time.Second)
	h2.Add(t0.Add(5*time.Second), 0)
	h2.Add(t0.Add(15*time.Second), 10_000) // 1000 B/s over [5,15)
	h2.Add(t0.Add(20*time.Second), 10_000) // idle [15,20)
	r = h2.Rates()
	if len(r) != 2 || !near(r[0], 500) || !near(r[1], 500) {
		t.Fatalf("split reading: %v, want [500 500]", r)
	}
}

func TestRateHistoryCounterRestartAndLongGap(t *testing.T) {
	h := NewRateHistory(time.Minute, 10*time.Second)
	h.Add(t0, 5_000_000)
	h.Add(t0.Add(10*time.Second), 5_010_000) // 1000 B/s
	h.Add(t0.Add(20*time.Second), 2_000)     // engine restarted: 2000 B since
	r := h.Rates()
	if len(r) != 2 || !near(r[0], 1000) || !near(r[1], 200) {
		t.Fatalf("restart: %v, want [1000 200]", r)
	}
	if h.Current() < 0 {
		t.Fatal("negative rate after restart")
	}

	// Asleep for two hours while 7.2 MB went out: every step shows the
	// average, nothing from before the gap survives.
	h.Add(t0.Add(20*time.Second+2*time.Hour), 2_000+7_200_000)
	r = h.Rates()
	if len(r) != 6 {
		t.Fatalf("after gap %d steps: %v", len(r), r)
	}
	for _, v := range r {
		if !near(v, 1000) {
			t.Fatalf("after gap: %v, want all 1000", r)
		}
	}
}

func TestRateHistoryIdleStaysZero(t *testing.T) {
	h := NewRateHistory(HistorySpan, HistoryStep)
	if h.Len() != 360 {
		t.Fatalf("Len = %d, want 360", h.Len())
	}
	for i := 0; i <= 3600; i += 2 {
		h.Add(t0.Add(time.Duration(i)*time.Second), 42)
	}
	r := h.Rates()
	if len(r) != 360 {
		t.Fatalf("%d steps after an hour", len(r))
	}
	for _, v := range r {
		if v != 0 {
			t.Fatalf("idle counter gave rate %v", v)
		}
	}
}
