package node

import (
	"sync"
	"time"
)

// windowSeconds bounds the read-ahead window by the time the link needs to
// deliver it: what is in flight when a viewer seeks still has to arrive
// before the block the player now wants, so at 50 Mbit/s sixteen blocks in
// flight cost 2.7 s per seek, and a window of half a second costs at most
// half a second.
const windowSeconds = 0.5

// deliveryMeter estimates how fast peers deliver blocks to this node, from
// the gaps between blocks that arrive while others are still on the way
// (a busy link). Every File of a node shares it, so a File opened for a
// seek knows the link at once.
type deliveryMeter struct {
	mu       sync.Mutex
	inflight int       // fetches from peers on the way
	last     time.Time // when the previous block arrived
	rate     float64   // bytes per second, 0 until measured
}

// started records a fetch from peers going out.
func (m *deliveryMeter) started() {
	m.mu.Lock()
	m.inflight++
	m.mu.Unlock()
}

// arrived records a block of n bytes from peers (ok false: the fetch
// ended without one).
func (m *deliveryMeter) arrived(n int, ok bool, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	busy := m.inflight > 1
	m.inflight--
	if !ok {
		return
	}
	if busy && !m.last.IsZero() {
		if gap := now.Sub(m.last); gap > 0 && gap < 2*time.Second {
			sample := float64(n) / gap.Seconds()
			if m.rate == 0 {
				m.rate = sample
			} else {
				m.rate = 0.75*m.rate + 0.25*sample
			}
		}
	}
	m.last = now
}

// windowCap is the most read-ahead worth having in flight: windowSeconds
// of delivery, at least one block; 0 means no measure yet (no cap).
func (m *deliveryMeter) windowCap() int64 {
	if m == nil {
		return 0
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.rate == 0 {
		return 0
	}
	return max(int64(m.rate*windowSeconds), minWindow)
}
