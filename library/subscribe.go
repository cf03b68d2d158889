package library

import (
	"context"
	"errors"
	"sync"

	"github.com/ipfs/go-cid"
)

// Change is a video that changed.
type Change struct {
	Cid cid.Cid
	// Video is the record as stored when the change is delivered (which
	// may already include later changes); zero when Deleted.
	Video   Video
	Deleted bool
}

// Subscribe calls fn for every video changed from now on, from a
// goroutine of its own, one call at a time. Writers never wait for fn:
// changed CIDs queue per subscriber, and the video is read when its change
// is delivered, so several changes to one video while fn is busy collapse
// into one call with the latest state, and a change never arrives with
// older data than one delivered before it (two writers' commits could
// otherwise be announced in the opposite order). Calls come in the order
// videos first changed since the last delivery.
//
// cancel stops the deliveries: after it returns fn is not called again,
// except by a delivery already under way (so cancel may be called from
// fn).
// Close cancels every subscription and waits for running calls, so fn
// must not call Close.
func (c *Catalog) Subscribe(fn func(Change)) (cancel func()) {
	s := &subscriber{
		fn:      fn,
		load:    c.loadChange,
		pending: make(map[string]cid.Cid),
		wake:    make(chan struct{}, 1),
		done:    make(chan struct{}),
	}
	if !c.subs.add(s) {
		return func() {}
	}
	go s.run(&c.subs.wg)
	return func() { c.subs.remove(s) }
}

// loadChange reads what a subscriber is told about id; false when there
// is nothing to tell (the catalog closed, or the record is unreadable,
// which Get and List report).
func (c *Catalog) loadChange(id cid.Cid) (Change, bool) {
	v, err := c.Get(context.Background(), id)
	switch {
	case err == nil:
		return Change{Cid: id, Video: v}, true
	case errors.Is(err, ErrNotFound):
		return Change{Cid: id, Deleted: true}, true
	default:
		c.log.Debug("change not delivered", "cid", id, "err", err)
		return Change{}, false
	}
}

type subscribers struct {
	mu     sync.Mutex
	set    map[*subscriber]bool
	closed bool
	wg     sync.WaitGroup
}

func (ss *subscribers) add(s *subscriber) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.closed {
		return false
	}
	if ss.set == nil {
		ss.set = make(map[*subscriber]bool)
	}
	ss.set[s] = true
	ss.wg.Add(1)
	return true
}

func (ss *subscribers) remove(s *subscriber) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.set[s] {
		delete(ss.set, s)
		s.stop()
	}
}

func (ss *subscribers) publish(id cid.Cid) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for s := range ss.set {
		s.push(id)
	}
}

func (ss *subscribers) closeAll() {
	ss.mu.Lock()
	ss.closed = true
	for s := range ss.set {
		s.stop()
	}
	ss.set = nil
	ss.mu.Unlock()
	ss.wg.Wait()
}

type subscriber struct {
	fn   func(Change)
	load func(cid.Cid) (Change, bool)
	wake chan struct{} // capacity 1: "pending is not empty"
	done chan struct{}

	mu      sync.Mutex
	pending map[string]cid.Cid // changed, not yet delivered; by KeyString
	order   []string
	stopped bool
}

func (s *subscriber) push(id cid.Cid) {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return
	}
	k := id.KeyString()
	if _, queued := s.pending[k]; !queued {
		s.order = append(s.order, k)
		s.pending[k] = id
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *subscriber) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.stopped {
		s.stopped = true
		close(s.done)
	}
}

func (s *subscriber) run(wg *sync.WaitGroup) {
	defer wg.Done()
	for {
		select {
		case <-s.done:
			return
		case <-s.wake:
		}
		for {
			s.mu.Lock()
			if s.stopped || len(s.order) == 0 {
				s.mu.Unlock()
				break
			}
			k := s.order[0]
			s.order = s.order[1:]
			id := s.pending[k]
			delete(s.pending, k)
			s.mu.Unlock()
			// Taken off the queue before loading: a change committed
			// during the load queues the CID again.
			ch, ok := s.load(id)
			s.mu.Lock()
			ok = ok && !s.stopped
			s.mu.Unlock()
			if ok {
				s.fn(ch)
			}
		}
	}
}
