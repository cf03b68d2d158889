package seedview

import (
	"sync"
	"time"
)

// Defaults of the upload-rate history behind the chart.
const (
	// HistorySpan is how far back the chart reaches.
	HistorySpan = time.Hour
	// HistoryStep is the width of one point of the chart: 360 points for an
	// hour, about one per pixel column of a typical chart.
	HistoryStep = 10 * time.Second
)

// RateHistory turns readings of a growing byte counter (total bytes
// uploaded since the engine started) into the average rate of each step of
// the last span. Readings may come at any times: the bytes between two
// readings are spread evenly over the time between them, so polling
// jitter, a slow poll or a laptop's sleep gives the right averages instead
// of spikes. A counter that goes down (the engine restarted) starts
// counting afresh. It is safe for concurrent use.
type RateHistory struct {
	mu    sync.Mutex
	step  time.Duration
	bytes []float64 // ring: bytes that fell in each step
	head  int       // the step being filled
	start time.Time // when the head step began
	full  int       // completed steps held, at most len(bytes)-1

	primed    bool
	lastAt    time.Time
	lastTotal int64
	lastRate  float64
}

// NewRateHistory keeps span of history in steps of step (HistorySpan and
// HistoryStep for the dashboard).
func NewRateHistory(span, step time.Duration) *RateHistory {
	n := max(int(span/step), 1)
	return &RateHistory{step: step, bytes: make([]float64, n+1)}
}

// Len is how many steps a full history holds.
func (h *RateHistory) Len() int { return len(h.bytes) - 1 }

// Step is the width of one step.
func (h *RateHistory) Step() time.Duration { return h.step }

// Add records that the counter read total at time at. Readings older than
// the last one are ignored.
func (h *RateHistory) Add(at time.Time, total int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.primed {
		h.primed, h.lastAt, h.lastTotal = true, at, total
		h.start = at.Truncate(h.step)
		return
	}
	dt := at.Sub(h.lastAt)
	if dt <= 0 {
		return
	}
	delta := total - h.lastTotal
	if delta < 0 {
		// The counter restarted: what was sent since is unknown beyond total.
		delta = total
	}
	rate := float64(delta) / dt.Seconds()
	h.lastRate = rate
	h.spread(h.lastAt, at, rate)
	h.lastAt, h.lastTotal = at, total
}

// spread adds rate bytes/s over [from, to) into the steps it covers.
func (h *RateHistory) spread(from, to time.Time, rate float64) {
	// A gap longer than the whole ring leaves only its average behind.
	if span := h.step * time.Duration(len(h.bytes)); to.Sub(from) > span {
		clear(h.bytes)
		h.head, h.full = 0, 0
		h.start = to.Add(-span).Truncate(h.step)
		from = h.start
	}
	for from.Before(to) {
		end := h.start.Add(h.step)
		segEnd := to
		if end.Before(to) {
			segEnd = end
		}
		if segEnd.After(from) {
			h.bytes[h.head] += rate * segEnd.Sub(from).Seconds()
		}
		if !end.After(to) {
			h.advance()
		}
		from = segEnd
	}
}

// advance closes the head step and starts the next one.
func (h *RateHistory) advance() {
	h.head = (h.head + 1) % len(h.bytes)
	h.bytes[h.head] = 0
	h.start = h.start.Add(h.step)
	if h.full < h.Len() {
		h.full++
	}
}

// Rates are the average rates (bytes/s) of the completed steps, oldest
// first, at most Len of them: the last hour once an hour has passed.
func (h *RateHistory) Rates() []float64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]float64, h.full)
	n := len(h.bytes)
	for i := range h.full {
		idx := (h.head - h.full + i + n) % n
		out[i] = h.bytes[idx] / h.step.Seconds()
	}
	return out
}

// Current is the rate between the last two readings (bytes/s): what is
// being uploaded now.
func (h *RateHistory) Current() float64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lastRate
}

// Total is the last counter reading.
func (h *RateHistory) Total() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lastTotal
}
