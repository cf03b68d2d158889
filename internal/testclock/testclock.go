// Package testclock is a clock tests move by hand, for code that takes a
// library.Clock (the seeding hours): no test waits for the real time.
//
//	clk := testclock.New(time.Date(2025, 3, 1, 20, 0, 0, 0, time.Local))
//	go library.WatchSeedHours(ctx, hours, clk, apply)
//	clk.Step(t, at2300) // once the watcher waits: fires its wait
package testclock

import (
	"sync"
	"testing"
	"time"
)

// Clock's After fires once Set (or Step) has moved it past the deadline.
type Clock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
	waiting chan struct{} // a value per After call
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

// New returns a clock standing at now.
func New(now time.Time) *Clock { return &Clock{now: now, waiting: make(chan struct{}, 1024)} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// After returns a channel that gets the time once the clock reaches now+d.
func (c *Clock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	c.waiters = append(c.waiters, waiter{at: c.now.Add(d), ch: ch})
	c.waiting <- struct{}{}
	return ch
}

// Set moves the clock to t and fires every wait due by then.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(t) {
			w.ch <- t
		} else {
			kept = append(kept, w)
		}
	}
	c.waiters = kept
}

// WaitLimit bounds how long Step waits for someone to wait on the clock.
const WaitLimit = 10 * time.Second

// Step waits until someone has called After since the last Step, then
// moves the clock to t: each move lands on a waiter, none is missed.
func (c *Clock) Step(t testing.TB, to time.Time) {
	t.Helper()
	select {
	case <-c.waiting:
	case <-time.After(WaitLimit):
		t.Fatalf("testclock: nobody waits on the clock at %v", c.Now())
	}
	c.Set(to)
}
