package netshape

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

const (
	defaultBuffer = 4 << 20
	// maxBuffer keeps byte counts far from overflowing the link arithmetic.
	maxBuffer = 1 << 30
	// maxBandwidth does the same for rates, far above what loopback moves.
	maxBandwidth = 100_000_000_000
	dialTimeout  = 10 * time.Second
)

// Option configures a Proxy.
type Option func(*options)

type options struct {
	rtt                  time.Duration
	toTarget, toClient   int64
	buffer, queueLimit   int
	queueLimitConfigured bool
	log                  *slog.Logger
}

// Latency sets the round-trip time the proxy adds: half of it is added in
// each direction, and a new connection pays it once more for the TCP
// handshake. The default is none.
func Latency(rtt time.Duration) Option { return func(o *options) { o.rtt = rtt } }

// Bandwidth caps each direction at bitsPerSecond of payload, shared by all
// connections through the proxy. The default, 0, is no cap.
func Bandwidth(bitsPerSecond int64) Option {
	return func(o *options) { o.toTarget, o.toClient = bitsPerSecond, bitsPerSecond }
}

// BandwidthToTarget caps only the client-to-target direction (the upload
// of an asymmetric access link when the client is the local side).
func BandwidthToTarget(bitsPerSecond int64) Option {
	return func(o *options) { o.toTarget = bitsPerSecond }
}

// BandwidthToClient caps only the target-to-client direction.
func BandwidthToClient(bitsPerSecond int64) Option {
	return func(o *options) { o.toClient = bitsPerSecond }
}

// Buffer bounds the bytes each connection may have read and not yet written,
// per direction: data queued for the link, on the wire, and waiting for a
// slow receiver. The default is 4 MiB. It must cover the bandwidth-delay
// product for a connection to reach the cap.
func Buffer(bytes int) Option { return func(o *options) { o.buffer = bytes } }

// QueueLimit bounds the bytes waiting for serialization on each capped link,
// across all connections; beyond it the proxy stops reading (each waiting
// connection holds one more chunk, of at most 2 ms of link time). The
// default is 25 ms of the link's rate (156 KB at 50 Mbit/s), at least four
// chunks. It is ignored without a cap.
func QueueLimit(bytes int) Option {
	return func(o *options) { o.queueLimit, o.queueLimitConfigured = bytes, true }
}

// Logger sets the logger; the default is slog.Default().
func Logger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// Stats counts what went through a Proxy.
type Stats struct {
	// ToTarget and ToClient are payload bytes delivered in each direction.
	ToTarget, ToClient int64
	// Accepted counts client connections; Active those not yet torn down.
	Accepted int64
	Active   int
	// DialFailures counts connections dropped because the target could not
	// be reached.
	DialFailures int64
}

// Proxy forwards TCP connections from Addr to a target through a simulated
// link. See the package documentation for what it models.
type Proxy struct {
	target   string
	rtt      time.Duration
	buffer   int
	toTarget *link
	toClient *link
	log      *slog.Logger
	ln       net.Listener

	// ctx ends with Close and bounds dials to the target.
	ctx       context.Context
	cancel    context.CancelFunc
	stopOnCtx func() bool // set and read under mu: it may fire before New stores it
	wg        sync.WaitGroup

	mu     sync.Mutex
	closed bool
	conns  map[*conn]struct{}

	closeOnce sync.Once
	closeErr  error

	accepted     atomic.Int64
	dialFailures atomic.Int64
}

// New starts a proxy on 127.0.0.1 that forwards to target (host:port). The
// proxy closes when ctx ends or Close is called.
func New(ctx context.Context, target string, opts ...Option) (*Proxy, error) {
	o := options{buffer: defaultBuffer, log: slog.Default()}
	for _, opt := range opts {
		opt(&o)
	}
	if err := o.validate(target); err != nil {
		return nil, fmt.Errorf("netshape.New: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("netshape.New: %w", err)
	}
	oneWay := o.rtt / 2
	p := &Proxy{
		target:   target,
		rtt:      o.rtt,
		buffer:   o.buffer,
		toTarget: newLink(o.toTarget, oneWay, o.queueLimit),
		toClient: newLink(o.toClient, oneWay, o.queueLimit),
		log:      o.log.With("proxy", ln.Addr().String(), "target", target),
		ln:       ln,
		conns:    make(map[*conn]struct{}),
	}
	p.ctx, p.cancel = context.WithCancel(context.WithoutCancel(ctx))
	// Under mu: the callback may run (and call Close) before AfterFunc
	// returns.
	p.mu.Lock()
	p.stopOnCtx = context.AfterFunc(ctx, func() { _ = p.Close() })
	p.mu.Unlock()
	p.wg.Add(1)
	go p.acceptLoop()
	p.log.Debug("netshape: listening", "rtt", o.rtt, "bps_to_target", o.toTarget, "bps_to_client", o.toClient)
	return p, nil
}

func (o *options) validate(target string) error {
	if _, _, err := net.SplitHostPort(target); err != nil {
		return fmt.Errorf("target %q: %w", target, err)
	}
	switch {
	case o.rtt < 0:
		return fmt.Errorf("negative latency %v", o.rtt)
	case o.toTarget < 0 || o.toClient < 0 || o.toTarget > maxBandwidth || o.toClient > maxBandwidth:
		return fmt.Errorf("bandwidth out of range [0, %d]", int64(maxBandwidth))
	case o.buffer <= 0 || o.buffer > maxBuffer:
		return fmt.Errorf("buffer %d out of range (0, %d]", o.buffer, maxBuffer)
	case o.queueLimitConfigured && (o.queueLimit <= 0 || o.queueLimit > maxBuffer):
		return fmt.Errorf("queue limit %d out of range (0, %d]", o.queueLimit, maxBuffer)
	case o.log == nil:
		return errors.New("nil logger")
	}
	return nil
}

// Addr is the address to dial instead of the target, as 127.0.0.1:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Stats returns the counters so far.
func (p *Proxy) Stats() Stats {
	p.mu.Lock()
	active := len(p.conns)
	p.mu.Unlock()
	return Stats{
		ToTarget:     p.toTarget.delivered.Load(),
		ToClient:     p.toClient.delivered.Load(),
		Accepted:     p.accepted.Load(),
		Active:       active,
		DialFailures: p.dialFailures.Load(),
	}
}

// Close stops listening, closes every connection (data in flight is
// dropped) and returns once all of the proxy's goroutines have ended.
func (p *Proxy) Close() error {
	p.closeOnce.Do(func() {
		p.mu.Lock()
		stop := p.stopOnCtx
		p.mu.Unlock()
		stop()
		p.cancel()
		if err := p.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			p.closeErr = fmt.Errorf("netshape.Close: %w", err)
		}
		p.mu.Lock()
		p.closed = true
		for c := range p.conns {
			c.teardown()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p.closeErr
}

func (p *Proxy) acceptLoop() {
	defer p.wg.Done()
	var backoff time.Duration
	for {
		client, err := p.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || p.ctx.Err() != nil {
				return
			}
			// Out of file descriptors and the like: wait rather than spin.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			p.log.Warn("netshape: accept", "err", err, "retry_in", backoff)
			select {
			case <-time.After(backoff):
				continue
			case <-p.ctx.Done():
				return
			}
		}
		backoff = 0
		c := &conn{client: client, done: make(chan struct{})}
		c.ctx, c.cancel = context.WithCancel(p.ctx)
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			c.teardown()
			return
		}
		p.conns[c] = struct{}{}
		p.wg.Add(1)
		p.mu.Unlock()
		p.accepted.Add(1)
		go p.serve(c)
	}
}

// serve runs one connection: the handshake delays, the dial, and the two
// pipes, until both directions have finished or one side aborts.
func (p *Proxy) serve(c *conn) {
	defer p.wg.Done()
	defer func() {
		p.mu.Lock()
		delete(p.conns, c)
		p.mu.Unlock()
	}()
	log := p.log.With("client", c.client.RemoteAddr().String())
	accepted := time.Now()
	var readers sync.WaitGroup
	defer readers.Wait()
	defer c.teardown()
	wait := time.NewTimer(time.Hour)
	wait.Stop()

	// A real client's connect returns after one RTT; only then can it send.
	if !waitUntil(wait, accepted.Add(p.rtt), c.done) {
		return
	}
	up := newPipe(p.toTarget, p.buffer, c.done)
	readers.Add(1)
	go func() {
		defer readers.Done()
		c.abortOn(up.read(c.client), log, "read from client")
	}()

	// The target's accept returns when the handshake's last ACK arrives.
	if !waitUntil(wait, accepted.Add(p.rtt+p.rtt/2), c.done) {
		return
	}
	d := net.Dialer{Timeout: dialTimeout}
	target, err := d.DialContext(c.ctx, "tcp", p.target)
	if err != nil {
		if c.ctx.Err() == nil {
			p.dialFailures.Add(1)
			log.Warn("netshape: dial target", "err", err)
			// A FIN rather than a reset, so the client reads a clean EOF.
			if hc, ok := c.client.(interface{ CloseWrite() error }); ok {
				_ = hc.CloseWrite()
			}
		}
		return
	}
	if !c.setTarget(target) {
		return
	}
	log.Debug("netshape: connected")

	down := newPipe(p.toClient, p.buffer, c.done)
	readers.Add(1)
	go func() {
		defer readers.Done()
		c.abortOn(down.read(target), log, "read from target")
	}()
	var writers sync.WaitGroup
	writers.Add(1)
	go func() {
		defer writers.Done()
		c.abortOn(down.write(c.client), log, "write to client")
	}()
	c.abortOn(up.write(target), log, "write to target")
	writers.Wait()
}

// conn is one proxied connection.
type conn struct {
	client net.Conn
	// ctx bounds the dial; done closes on teardown and stops every pipe.
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once

	mu       sync.Mutex
	target   net.Conn
	tornDown bool
}

// setTarget records the dialed target, or closes it and reports false if
// the connection was torn down meanwhile.
func (c *conn) setTarget(t net.Conn) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tornDown {
		_ = t.Close()
		return false
	}
	c.target = t
	return true
}

// teardown closes both sides, which unblocks every read and write of the
// connection's pipes.
func (c *conn) teardown() {
	c.once.Do(func() {
		close(c.done)
		c.cancel()
		_ = c.client.Close()
		c.mu.Lock()
		c.tornDown = true
		if c.target != nil {
			_ = c.target.Close()
		}
		c.mu.Unlock()
	})
}

// abortOn tears the connection down after an error in one of its pipes:
// like a reset, it ends both directions at once.
func (c *conn) abortOn(err error, log *slog.Logger, op string) {
	if err == nil {
		return
	}
	select {
	case <-c.done:
		// Our own teardown closed the socket under the pipe.
	default:
		log.Debug("netshape: connection aborted", "op", op, "err", err)
		c.teardown()
	}
}
