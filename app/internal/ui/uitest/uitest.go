// Package uitest runs a view's UI work on the test goroutine, the way
// Fyne's real driver runs it on the UI thread.
//
// Fyne's test driver runs fyne.Do inline on the calling goroutine, so a
// view's background goroutines would touch widgets while the test reads
// them, which the race detector rightly flags. A view under test takes the
// Loop's Post in place of fyne.Do (through an unexported test option), and
// the test runs the queued work while it waits for what it expects.
//
// Usage, for a view that takes a Loop:
//
//	loop := uitest.NewLoop()
//	v := New(ctx, store, withUI(loop.Post))
//	v.saveBtn.OnTapped()
//	loop.WaitFor(t, "saved", func() bool { return v.status.Text == "Saved." })
//
// A view that guards its widgets with a lock instead waits with
// Eventually, taking that lock in the condition.
package uitest

import (
	"sync"
	"testing"
	"time"
)

// WaitLimit bounds every wait: generous for a busy 2-core machine under
// -race, while a passing test waits a few milliseconds.
const WaitLimit = 30 * time.Second

// pollEvery is how often WaitFor checks its condition when nothing is
// posted: some conditions change on other goroutines (a backend called,
// a file saved) without any UI work.
const pollEvery = 10 * time.Millisecond

// Loop stands in for the UI thread: Post queues work from any goroutine,
// and Drain or WaitFor runs it on the goroutine that calls them.
type Loop struct {
	mu    sync.Mutex
	queue []func()
	wake  chan struct{}
}

// NewLoop returns an empty loop.
func NewLoop() *Loop { return &Loop{wake: make(chan struct{}, 1)} }

// Post queues fn for the test goroutine; it never blocks. Its signature is
// fyne.Do's.
func (l *Loop) Post(fn func()) {
	l.mu.Lock()
	l.queue = append(l.queue, fn)
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// Drain runs the queued work in order, including work it posts, until the
// queue is empty.
func (l *Loop) Drain() {
	for {
		l.mu.Lock()
		q := l.queue
		l.queue = nil
		l.mu.Unlock()
		if len(q) == 0 {
			return
		}
		for _, fn := range q {
			fn()
		}
	}
}

// WaitFor runs queued work until cond holds, failing the test after
// WaitLimit. cond runs on the calling goroutine, between drains, so it may
// read widgets.
func (l *Loop) WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	wait(t, what, l.wake, func() bool {
		l.Drain()
		return cond()
	})
}

// Eventually polls cond until it holds, failing the test after WaitLimit.
// It is for views that guard their widgets with a lock instead of taking a
// Loop; cond takes that lock itself.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	wait(t, what, nil, cond)
}

// wait checks cond whenever wake fires (a nil wake never does) and at
// least every pollEvery, until it holds or WaitLimit passes.
func wait(t testing.TB, what string, wake <-chan struct{}, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(WaitLimit)
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", WaitLimit, what)
		}
		select {
		case <-wake:
		case <-tick.C:
		}
	}
}
