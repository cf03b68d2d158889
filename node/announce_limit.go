package node

import (
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// maxRateEntries bounds the per-sender rate table. Past it, senders whose
// buckets have refilled and who serve no penalty are forgotten (they
// start again with a full burst, which is what they had anyway).
const maxRateEntries = 4096

// senderRate is one sender's token bucket and penalty.
type senderRate struct {
	tokens  float64
	updated time.Time
	// penaltyUntil: until then everything the sender publishes is refused.
	penaltyUntil time.Time
}

// rateTable meters announcements per sender (the signed author, not the
// peer that relayed them): each may send one per interval on average and
// burst at once; one over that earns a penalty during which all its
// messages are refused. Not safe for concurrent use; gossip holds its lock.
type rateTable struct {
	interval time.Duration
	burst    float64
	penalty  time.Duration
	senders  map[peer.ID]*senderRate
}

func newRateTable(interval time.Duration, burst int, penalty time.Duration) *rateTable {
	return &rateTable{interval: interval, burst: float64(burst), penalty: penalty, senders: make(map[peer.ID]*senderRate)}
}

// rateVerdict is what admit decided.
type rateVerdict int

const (
	rateOK        rateVerdict = iota
	rateExceeded              // this message went over: the penalty starts now
	ratePenalized             // the sender serves a penalty
	rateTableFull             // too many senders tracked to take a new one
)

// admit takes a token for one message from p at now.
func (t *rateTable) admit(p peer.ID, now time.Time) rateVerdict {
	s, ok := t.senders[p]
	if !ok {
		if len(t.senders) >= maxRateEntries && !t.forgetIdle(now) {
			return rateTableFull
		}
		s = &senderRate{tokens: t.burst, updated: now}
		t.senders[p] = s
	}
	if now.Before(s.penaltyUntil) {
		return ratePenalized
	}
	s.refill(now, t)
	if s.tokens < 1 {
		s.penaltyUntil = now.Add(t.penalty)
		return rateExceeded
	}
	s.tokens--
	return rateOK
}

func (s *senderRate) refill(now time.Time, t *rateTable) {
	if elapsed := now.Sub(s.updated); elapsed > 0 {
		s.tokens = min(t.burst, s.tokens+float64(elapsed)/float64(t.interval))
		s.updated = now
	}
}

// forgetIdle drops senders back at a full burst and out of penalty; it
// reports whether that made room.
func (t *rateTable) forgetIdle(now time.Time) bool {
	for p, s := range t.senders {
		s.refill(now, t)
		if s.tokens >= t.burst && !now.Before(s.penaltyUntil) {
			delete(t.senders, p)
		}
	}
	return len(t.senders) < maxRateEntries
}

// penalized counts senders serving a penalty at now.
func (t *rateTable) penalized(now time.Time) int {
	n := 0
	for _, s := range t.senders {
		if now.Before(s.penaltyUntil) {
			n++
		}
	}
	return n
}
