package netshape

import (
	"errors"
	"io"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// chunkTime is how much link time one read may cover. Shorter chunks
	// follow the cap more smoothly; longer ones cost fewer wakeups.
	chunkTime    = 2 * time.Millisecond
	minChunkSize = 4 << 10
	maxChunkSize = 64 << 10

	// defaultQueueTime sizes the default QueueLimit in link time. A queue
	// a single bulk sender fills at once (the loopback legs have no slow
	// start) must stay short, or that sender gets a head start over the
	// connections that join it and adds its length to their latency; it
	// must still outlast a late timer wakeup, or the link idles.
	defaultQueueTime = 25 * time.Millisecond
	minQueueChunks   = 4
)

// link is one direction of the simulated path, shared by every connection
// through the proxy in that direction.
type link struct {
	bitsPerSecond int64 // 0: no cap
	delay         time.Duration
	// maxBacklog is QueueLimit expressed as link time: readers wait while
	// the link is booked further ahead than this.
	maxBacklog time.Duration
	chunkSize  int
	chunks     sync.Pool // *[]byte of chunkSize

	mu sync.Mutex
	// free is when the link finishes serializing everything booked so far.
	free time.Time
	// waiters is the line of readers waiting for queue room; the head's
	// channel is closed.
	waiters []chan struct{}

	delivered atomic.Int64
}

// newLink makes a link; queueLimit 0 picks the default.
func newLink(bitsPerSecond int64, delay time.Duration, queueLimit int) *link {
	l := &link{bitsPerSecond: bitsPerSecond, delay: delay, chunkSize: maxChunkSize}
	if bitsPerSecond > 0 {
		l.chunkSize = int(min(max(bitsPerSecond/8*int64(chunkTime)/int64(time.Second), minChunkSize), maxChunkSize))
		if queueLimit == 0 {
			queueLimit = int(max(bitsPerSecond/8*int64(defaultQueueTime)/int64(time.Second), minQueueChunks*int64(l.chunkSize)))
		}
		l.maxBacklog = l.serialization(queueLimit)
	}
	l.chunks.New = func() any {
		b := make([]byte, l.chunkSize)
		return &b
	}
	return l
}

// serialization is how long n bytes occupy the link, rounded up so the
// link never runs faster than the cap.
func (l *link) serialization(n int) time.Duration {
	if l.bitsPerSecond <= 0 {
		return 0
	}
	bits := int64(n) * 8
	return time.Duration((bits*int64(time.Second) + l.bitsPerSecond - 1) / l.bitsPerSecond)
}

// book puts n bytes read at now on the link and returns when their last bit
// reaches the far end. The link does not save up idle time, so a sender
// that pauses gets no burst above the cap afterwards.
func (l *link) book(n int, now time.Time) time.Time {
	if l.bitsPerSecond <= 0 {
		return now.Add(l.delay)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.bookLocked(n, now)
}

func (l *link) bookLocked(n int, now time.Time) time.Time {
	start := l.free
	if start.Before(now) {
		start = now
	}
	l.free = start.Add(l.serialization(n))
	return l.free.Add(l.delay)
}

// bookInTurn books n bytes like book, but first waits, holding them, while
// the link's queue is over QueueLimit. Waiting connections are served in
// arrival order and each rejoins at the back after booking one chunk, so
// connections that share the link share it round-robin rather than by who
// wakes first. It reports false if done closes first.
func (l *link) bookInTurn(n int, t *time.Timer, done <-chan struct{}) (time.Time, bool) {
	if l.bitsPerSecond <= 0 {
		return l.book(n, time.Now()), true
	}
	w := make(chan struct{})
	l.mu.Lock()
	l.waiters = append(l.waiters, w)
	if len(l.waiters) == 1 {
		close(w)
	}
	l.mu.Unlock()
	select {
	case <-w:
	case <-done:
		l.leave(w)
		return time.Time{}, false
	}
	// Only the head of the line waits on the clock.
	for {
		l.mu.Lock()
		now := time.Now()
		backlog := l.free.Sub(now)
		if backlog <= l.maxBacklog {
			arrival := l.bookLocked(n, now)
			l.leaveLocked(w)
			l.mu.Unlock()
			return arrival, true
		}
		l.mu.Unlock()
		if !waitUntil(t, now.Add(backlog-l.maxBacklog), done) {
			l.leave(w)
			return time.Time{}, false
		}
	}
}

func (l *link) leave(w chan struct{}) {
	l.mu.Lock()
	l.leaveLocked(w)
	l.mu.Unlock()
}

// leaveLocked removes w from the line and, if it was the head, hands the
// turn to the next in line.
func (l *link) leaveLocked(w chan struct{}) {
	i := slices.Index(l.waiters, w)
	if i < 0 {
		return
	}
	l.waiters = slices.Delete(l.waiters, i, i+1)
	if i == 0 && len(l.waiters) > 0 {
		close(l.waiters[0])
	}
}

// chunk is a piece of the byte stream on its way across a link.
type chunk struct {
	buf *[]byte
	n   int
	// arrival is when the chunk may be written to the receiver.
	arrival time.Time
	eof     bool
}

// pipe carries one direction of one connection: a reader that books chunks
// on the link and a writer that hands them to the receiver on arrival.
type pipe struct {
	link *link
	// slots bounds the chunks read and not yet written (Buffer); a reader
	// takes a slot before reading so back-pressure reaches the sender.
	slots chan struct{}
	// queue holds the chunks in arrival order; one more than slots fits the
	// EOF marker, so sending never blocks.
	queue chan chunk
	done  <-chan struct{}
}

func newPipe(l *link, bufferSize int, done <-chan struct{}) *pipe {
	n := max(bufferSize/l.chunkSize, 1)
	return &pipe{
		link:  l,
		slots: make(chan struct{}, n),
		queue: make(chan chunk, n+1),
		done:  done,
	}
}

// read moves bytes from src onto the link until EOF, an error, or done. It
// returns the read error other than EOF, which the caller treats as an
// abort.
func (p *pipe) read(src net.Conn) error {
	t := time.NewTimer(time.Hour)
	t.Stop()
	for {
		select {
		case p.slots <- struct{}{}:
		case <-p.done:
			return nil
		}
		buf := p.link.chunks.Get().(*[]byte)
		n, err := src.Read(*buf)
		if n > 0 {
			arrival, ok := p.link.bookInTurn(n, t, p.done)
			if !ok {
				return nil
			}
			p.queue <- chunk{buf: buf, n: n, arrival: arrival}
		} else {
			p.link.chunks.Put(buf)
			<-p.slots
		}
		if errors.Is(err, io.EOF) {
			// Behind this connection's last byte on the link.
			p.queue <- chunk{eof: true, arrival: p.link.book(0, time.Now())}
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// write hands chunks to dst at their arrival times. It returns nil once the
// sender's EOF has been passed on as a half-close, or the error that ended
// it early (nil as well when done closed).
func (p *pipe) write(dst net.Conn) error {
	t := time.NewTimer(time.Hour)
	t.Stop()
	for {
		var c chunk
		select {
		case c = <-p.queue:
		case <-p.done:
			return nil
		}
		if !waitUntil(t, c.arrival, p.done) {
			return nil
		}
		if c.eof {
			if hc, ok := dst.(interface{ CloseWrite() error }); ok {
				return hc.CloseWrite()
			}
			return nil
		}
		n, err := dst.Write((*c.buf)[:c.n])
		p.link.delivered.Add(int64(n))
		p.link.chunks.Put(c.buf)
		<-p.slots
		if err != nil {
			return err
		}
	}
}

// waitUntil sleeps on t until at and reports false if done closes first.
func waitUntil(t *time.Timer, at time.Time, done <-chan struct{}) bool {
	d := time.Until(at)
	if d <= 0 {
		select {
		case <-done:
			return false
		default:
			return true
		}
	}
	t.Reset(d)
	select {
	case <-t.C:
		return true
	case <-done:
		t.Stop()
		return false
	}
}
