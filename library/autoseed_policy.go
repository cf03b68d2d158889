package library

import (
	"time"
)

// seedPolicy is the pure part of a round's decisions, over plain values:
// which scored videos are worth fetching and in what order, which
// auto-seeded videos the quota drops, and which ones a better candidate
// replaces. The round (see seed) gathers its inputs from the catalog, the
// Keeper and the node, and carries its answers out.
type seedPolicy struct {
	minScore   float64
	minKeep    time.Duration
	hysteresis float64
}

// policy is the round's policy as configured.
func (a *AutoSeeder) policy() seedPolicy {
	return seedPolicy{minScore: a.cfg.minScore, minKeep: a.cfg.minKeep, hysteresis: a.cfg.hysteresis}
}

// candidate says whether s is worth auto-seeding: kept by nothing yet and
// scoring at least the minimum (never 0: an idle network seeds nothing).
func (p seedPolicy) candidate(s VideoScore) bool {
	return s.Kept&(OwnUpload|Pinned|AutoSeeded) == 0 && s.Score >= p.minScore && s.Score > 0
}

// toFetch lists the candidates of scores whose size is known (room is
// reserved for it), best first.
func (p seedPolicy) toFetch(scores []VideoScore) []VideoScore {
	var out []VideoScore
	for _, s := range scores {
		if p.candidate(s) && s.Size > 0 {
			out = append(out, s)
		}
	}
	sortScores(out)
	return out
}

// overQuota is how many of held (lowest score first) must go, whatever
// their keep time, so that the rest fit budget: the quota comes first.
func (p seedPolicy) overQuota(held []seedHeld, budget int64) int {
	n := 0
	for n < len(held) && heldBytes(held[n:]) > budget {
		n++
	}
	return n
}

// maySwap says whether a swap may happen now: at most one a round, and
// one per minimum keep time since the last.
func (p seedPolicy) maySwap(now, lastSwap time.Time, swappedThisRound bool) bool {
	return !swappedThisRound && now.Sub(lastSwap) >= p.minKeep
}

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
func (p seedPolicy) victims(now time.Time, held []seedHeld, cand VideoScore, need int64, st State) []seedHeld {
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
		if h.since.IsZero() || now.Sub(h.since) < p.minKeep {
			continue
		}
		out = append(out, h)
		freed += h.bytes
		score += h.Score
	}
	if len(out) == 0 || freed < short || cand.Score <= p.hysteresis*score {
		return nil
	}
	return out
}
