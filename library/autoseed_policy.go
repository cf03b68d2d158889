package library

import (
	"time"
)

// seedHeld is an auto-seeded video as the swap and quota rules see it.
type seedHeld struct {
	VideoScore
	bytes int64
	since time.Time
}

func heldBytes(h []seedHeld) int64 {
	var n int64
	for _, v := range h {
		n += v.bytes
	}
	return n
}

// victims picks the lowest-scoring auto-seeded videos past their minimum
// keep time whose room, with what the budget has left, fits need; nil
// when there are none or the candidate does not beat them together by the
// hysteresis factor.
func (a *AutoSeeder) victims(now time.Time, held []seedHeld, cand VideoScore, need int64, st State) []seedHeld {
	room := max(st.CacheBudget-heldBytes(held)-st.Reserved, 0)
	short := need - room
	var out []seedHeld
	var freed int64
	var score float64
	for _, h := range held {
		if freed >= short && len(out) > 0 {
			break
		}
		// A missing start time (a record from a crash) counts as now.
		if h.since.IsZero() || now.Sub(h.since) < a.cfg.minKeep {
			continue
		}
		out = append(out, h)
		freed += h.bytes
		score += h.Score
	}
	if len(out) == 0 || freed < short || cand.Score <= a.cfg.hysteresis*score {
		return nil
	}
	return out
}
