package uitest

import (
	"slices"
	"sync"
	"testing"
)

func TestPostedWorkRunsOnlyInDrainInOrder(t *testing.T) {
	l := NewLoop()
	var ran []int // only the test goroutine touches it, via Drain
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		l.Post(func() { ran = append(ran, 1) })
		l.Post(func() {
			ran = append(ran, 2)
			l.Post(func() { ran = append(ran, 3) }) // posted while draining
		})
	}()
	wg.Wait()
	if len(ran) != 0 {
		t.Fatalf("work ran before Drain: %v", ran)
	}
	l.Drain()
	if !slices.Equal(ran, []int{1, 2, 3}) {
		t.Fatalf("Drain ran %v, want [1 2 3]", ran)
	}
	l.Drain()
	if len(ran) != 3 {
		t.Fatalf("a second Drain ran work again: %v", ran)
	}
}

func TestWaitForRunsWorkPostedLater(t *testing.T) {
	l := NewLoop()
	done := false
	start := make(chan struct{})
	go func() {
		<-start
		for range 5 {
			l.Post(func() {})
		}
		l.Post(func() { done = true })
	}()
	close(start)
	l.WaitFor(t, "the last posted work", func() bool { return done })
}

// changer flips a flag on another goroutine, without posting anything.
func changer() func() bool {
	var mu sync.Mutex
	changed := false
	go func() {
		mu.Lock()
		changed = true
		mu.Unlock()
	}()
	return func() bool {
		mu.Lock()
		defer mu.Unlock()
		return changed
	}
}

func TestWaitForSeesChangesMadeOffTheLoop(t *testing.T) {
	NewLoop().WaitFor(t, "a change nobody posted", changer())
}

func TestEventuallyPollsUntilTrue(t *testing.T) {
	calls := 0
	changed := changer()
	Eventually(t, "the change", func() bool { calls++; return changed() })
	if !changed() || calls == 0 {
		t.Fatalf("returned after %d calls with the change %v", calls, changed())
	}
}
