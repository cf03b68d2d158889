package netshape

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipfs-tube/ipfs-tube/internal/syncbuf"
)

const (
	testRTT = 40 * time.Millisecond
	testCap = 50_000_000 // bit/s
	// waitLimit bounds every wait in these tests.
	waitLimit = 30 * time.Second
)

var zeros = make([]byte, 64<<10)

// server is a real TCP target on 127.0.0.1 that speaks a tiny command
// protocol: the first byte picks what the connection does.
type server struct {
	addr string
	// done receives the time a sink ('u', 'w', 'b') has read all its bytes.
	done chan time.Time
}

const (
	cmdEcho     = 'e' // echo everything
	cmdUpload   = 'u' // size; ack byte; read size bytes; report on done
	cmdDownload = 'd' // size; ack byte; write size bytes
	cmdBoth     = 'b' // size; ack byte; write and read size bytes at once
	cmdWindow   = 'w' // size, segment; ack every segment with 8 bytes
	cmdFetch    = 'f' // repeatedly: size; write size bytes
	cmdStream   = 's' // write until the connection breaks
	cmdHalf     = 'h' // read to EOF, then reply with the byte count and close
)

func startServer(t *testing.T, handle func(s *server, c net.Conn)) *server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &server{addr: ln.Addr().String(), done: make(chan time.Time, 64)}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns []net.Conn
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				handle(s, c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return s
}

func startCommandServer(t *testing.T) *server { return startServer(t, serveCommand) }

func serveCommand(s *server, c net.Conn) {
	_ = c.SetDeadline(time.Now().Add(waitLimit))
	var cmd [1]byte
	if _, err := io.ReadFull(c, cmd[:]); err != nil {
		return
	}
	switch cmd[0] {
	case cmdEcho:
		_, _ = io.Copy(c, c)
	case cmdUpload:
		size := readSize(c)
		if _, err := c.Write([]byte{1}); err != nil {
			return
		}
		if _, err := io.CopyN(io.Discard, c, size); err == nil {
			s.done <- time.Now()
		}
	case cmdDownload:
		size := readSize(c)
		if _, err := c.Write([]byte{1}); err != nil {
			return
		}
		_ = writeZeros(c, size)
	case cmdBoth:
		size := readSize(c)
		if _, err := c.Write([]byte{1}); err != nil {
			return
		}
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = writeZeros(c, size)
		}()
		if _, err := io.CopyN(io.Discard, c, size); err == nil {
			s.done <- time.Now()
		}
		wg.Wait()
	case cmdWindow:
		size, segment := readSize(c), readSize(c)
		for got := int64(0); got < size; got += segment {
			if _, err := io.CopyN(io.Discard, c, segment); err != nil {
				return
			}
			if err := writeSize(c, got+segment); err != nil {
				return
			}
		}
		s.done <- time.Now()
	case cmdFetch:
		for {
			size := readSize(c)
			if size <= 0 || writeZeros(c, size) != nil {
				return
			}
		}
	case cmdStream:
		for writeZeros(c, int64(len(zeros))) == nil {
		}
	case cmdHalf:
		n, _ := io.Copy(io.Discard, c)
		_ = writeSize(c, n)
	}
}

func readSize(r io.Reader) int64 {
	var b [8]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return -1
	}
	return int64(binary.BigEndian.Uint64(b[:]))
}

func writeSize(w io.Writer, n int64) error {
	return binary.Write(w, binary.BigEndian, n)
}

func writeZeros(w io.Writer, n int64) error {
	for n > 0 {
		k := min(n, int64(len(zeros)))
		if _, err := w.Write(zeros[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

func newProxy(t *testing.T, target string, opts ...Option) *Proxy {
	t.Helper()
	p, err := New(context.Background(), target, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return p
}

// dial connects to the proxy and sends the command bytes.
func dial(t *testing.T, p *Proxy, cmd ...byte) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(waitLimit))
	if len(cmd) > 0 {
		if _, err := c.Write(cmd); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func sizeBytes(ns ...int64) []byte {
	var b []byte
	for _, n := range ns {
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	return b
}

func readAck(t *testing.T, c net.Conn) {
	t.Helper()
	var b [1]byte
	if _, err := io.ReadFull(c, b[:]); err != nil {
		t.Fatalf("reading ack: %v", err)
	}
}

func waitDone(t *testing.T, s *server) time.Time {
	t.Helper()
	select {
	case at := <-s.done:
		return at
	case <-time.After(waitLimit):
		t.Fatal("target never finished reading")
		return time.Time{}
	}
}

// ratio is the measured rate as a fraction of testCap.
func ratio(bytes int64, d time.Duration) float64 {
	return float64(bytes*8) / d.Seconds() / testCap
}

func checkRatio(t *testing.T, what string, r float64) {
	t.Helper()
	t.Logf("%s: %.1f Mbit/s, %.0f%% of the cap", what, r*testCap/1e6, r*100)
	// The upper bound is the cap itself plus measurement slack; the lower
	// one leaves room for a busy 2-core machine under the race detector.
	if r > 1.05 || r < 0.70 {
		t.Errorf("%s: %.0f%% of the cap, want 70%%..105%%", what, r*100)
	}
}

// proxyGoroutines counts goroutines running this package's non-test code.
func proxyGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	count := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "internal/netshape/netshape.go:") || strings.Contains(g, "internal/netshape/link.go:") {
			count++
		}
	}
	return count
}

func TestNewRejectsBadOptions(t *testing.T) {
	cases := map[string]struct {
		target string
		opts   []Option
	}{
		"target without port": {"127.0.0.1", nil},
		"negative latency":    {"127.0.0.1:1", []Option{Latency(-time.Millisecond)}},
		"negative bandwidth":  {"127.0.0.1:1", []Option{BandwidthToClient(-1)}},
		"absurd bandwidth":    {"127.0.0.1:1", []Option{BandwidthToTarget(1 << 62)}},
		"zero buffer":         {"127.0.0.1:1", []Option{Buffer(0)}},
		"zero queue":          {"127.0.0.1:1", []Option{QueueLimit(0)}},
		"nil logger":          {"127.0.0.1:1", []Option{Logger(nil)}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p, err := New(context.Background(), tc.target, tc.opts...)
			if err == nil {
				p.Close()
				t.Fatal("New succeeded")
			}
			if !strings.HasPrefix(err.Error(), "netshape.New: ") {
				t.Errorf("error %q lacks the operation", err)
			}
		})
	}
}

func TestRoundTripTime(t *testing.T) {
	s := startCommandServer(t)
	p := newProxy(t, s.addr, Latency(testRTT), Bandwidth(testCap))
	start := time.Now()
	c := dial(t, p, cmdEcho, 0)
	var b [1]byte
	if _, err := io.ReadFull(c, b[:]); err != nil {
		t.Fatal(err)
	}
	// The handshake costs one RTT before the first byte can leave.
	first := time.Since(start)
	t.Logf("connect + first echo: %v", first)
	if first < 2*testRTT {
		t.Errorf("connect + first echo took %v, want at least 2 RTT (%v)", first, 2*testRTT)
	}

	var rtts []time.Duration
	for i := range 20 {
		start := time.Now()
		if _, err := c.Write([]byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, b[:]); err != nil {
			t.Fatal(err)
		}
		rtt := time.Since(start)
		if b[0] != byte(i) {
			t.Fatalf("echo %d returned %d", i, b[0])
		}
		if rtt < testRTT {
			t.Errorf("ping %d: %v, below the configured RTT %v", i, rtt, testRTT)
		}
		rtts = append(rtts, rtt)
	}
	slices.Sort(rtts)
	median := rtts[len(rtts)/2]
	t.Logf("ping RTT: min %v, median %v, max %v", rtts[0], median, rtts[len(rtts)-1])
	if median > testRTT+25*time.Millisecond {
		t.Errorf("median RTT %v, want below %v", median, testRTT+25*time.Millisecond)
	}
}

func TestServerSpeaksFirst(t *testing.T) {
	s := startServer(t, func(_ *server, c net.Conn) {
		_, _ = c.Write([]byte("hello"))
		_, _ = io.Copy(io.Discard, c)
	})
	p := newProxy(t, s.addr, Latency(testRTT))
	start := time.Now()
	c := dial(t, p)
	got := make([]byte, 5)
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	t.Logf("banner after %v", elapsed)
	// Real TCP: the server accepts after 1.5 RTT, its banner lands 0.5 RTT later.
	if elapsed < 2*testRTT || elapsed > 2*testRTT+100*time.Millisecond {
		t.Errorf("banner after %v, want about 2 RTT (%v)", elapsed, 2*testRTT)
	}
	if string(got) != "hello" {
		t.Errorf("banner %q", got)
	}
}

func TestThroughput(t *testing.T) {
	const size = 8 << 20
	s := startCommandServer(t)
	p := newProxy(t, s.addr, Latency(testRTT), Bandwidth(testCap))

	t.Run("to target", func(t *testing.T) {
		c := dial(t, p, append([]byte{cmdUpload}, sizeBytes(size)...)...)
		readAck(t, c)
		start := time.Now()
		if err := writeZeros(c, size); err != nil {
			t.Fatal(err)
		}
		checkRatio(t, "upload", ratio(size, waitDone(t, s).Sub(start)))
	})
	t.Run("to client", func(t *testing.T) {
		c := dial(t, p, append([]byte{cmdDownload}, sizeBytes(size)...)...)
		readAck(t, c)
		start := time.Now()
		if _, err := io.CopyN(io.Discard, c, size); err != nil {
			t.Fatal(err)
		}
		checkRatio(t, "download", ratio(size, time.Since(start)))
	})
	t.Run("both ways at once", func(t *testing.T) {
		// Each direction is its own link: neither slows the other.
		c := dial(t, p, append([]byte{cmdBoth}, sizeBytes(size)...)...)
		readAck(t, c)
		start := time.Now()
		writeErr := make(chan error, 1)
		go func() { writeErr <- writeZeros(c, size) }()
		if _, err := io.CopyN(io.Discard, c, size); err != nil {
			t.Fatal(err)
		}
		down := time.Since(start)
		if err := <-writeErr; err != nil {
			t.Fatal(err)
		}
		up := waitDone(t, s).Sub(start)
		checkRatio(t, "download", ratio(size, down))
		checkRatio(t, "upload", ratio(size, up))
	})
	// The counters follow the writes they count.
	waitFor(t, "Stats to count both transfers", func() bool {
		st := p.Stats()
		return st.ToTarget >= 2*size && st.ToClient >= 2*size
	})
	if st := p.Stats(); st.ToTarget > 2*size+100 || st.ToClient > 2*size+100 {
		t.Errorf("Stats %+v, want about %d bytes each way", st, 2*size)
	}
}

func TestConnectionsShareTheCap(t *testing.T) {
	const (
		conns = 8
		size  = 1 << 20 // each
	)
	s := startCommandServer(t)
	p := newProxy(t, s.addr, Latency(testRTT), Bandwidth(testCap))
	cs := make([]net.Conn, conns)
	for i := range cs {
		// A one-byte fetch first, so every connection is through its
		// handshake before the clock starts.
		cs[i] = dial(t, p, append([]byte{cmdFetch}, sizeBytes(1)...)...)
	}
	for _, c := range cs {
		readAck(t, c)
	}
	start := time.Now()
	took := make([]time.Duration, conns)
	errs := make([]error, conns)
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, errs[i] = c.Write(sizeBytes(size)); errs[i] == nil {
				_, errs[i] = io.CopyN(io.Discard, c, size)
			}
			took[i] = time.Since(start)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	slices.Sort(took)
	t.Logf("completion times: %v", took)
	checkRatio(t, "aggregate", ratio(conns*size, took[conns-1]))
	// Sharing, not taking turns: a connection alone on the link would be
	// done after 1/8 of the total.
	if took[0] < took[conns-1]/2 {
		t.Errorf("first connection done after %v of %v: the link was not shared", took[0], took[conns-1])
	}
}

func TestWindowLimitedFlow(t *testing.T) {
	const segment = 16 << 10
	s := startCommandServer(t)
	p := newProxy(t, s.addr, Latency(testRTT), Bandwidth(testCap))

	// send keeps at most window bytes unacknowledged, as yamux or HTTP/2
	// flow control does, and returns the rate reached.
	send := func(t *testing.T, size, window int64) float64 {
		c := dial(t, p, append([]byte{cmdWindow}, sizeBytes(size, segment)...)...)
		acked := make(chan int64, size/segment)
		readErr := make(chan error, 1)
		go func() {
			for {
				n := readSize(c)
				if n < 0 {
					readErr <- errors.New("ack stream ended")
					return
				}
				acked <- n
				if n == size {
					readErr <- nil
					return
				}
			}
		}()
		start := time.Now()
		var sent, ack int64
		for sent < size {
			for sent-ack+segment > window {
				ack = <-acked
			}
			if err := writeZeros(c, segment); err != nil {
				t.Fatal(err)
			}
			sent += segment
		}
		if err := <-readErr; err != nil {
			t.Fatal(err)
		}
		return float64(size) / waitDone(t, s).Sub(start).Seconds()
	}

	t.Run("window above the bandwidth-delay product", func(t *testing.T) {
		rate := send(t, 8<<20, 1<<20)
		checkRatio(t, "1 MiB window", rate*8/testCap)
	})
	t.Run("window below the bandwidth-delay product", func(t *testing.T) {
		const window = 64 << 10
		rate := send(t, 2<<20, window)
		limit := float64(window) / testRTT.Seconds()
		t.Logf("64 KiB window: %.2f MB/s, window/RTT %.2f MB/s", rate/1e6, limit/1e6)
		// Every window waits a full RTT for its acks.
		if rate > 1.05*limit || rate < 0.5*limit {
			t.Errorf("rate %.2f MB/s, want about window/RTT = %.2f MB/s", rate/1e6, limit/1e6)
		}
	})
}

func TestBlockFetchTime(t *testing.T) {
	const block = 1 << 20
	s := startCommandServer(t)
	p := newProxy(t, s.addr, Latency(testRTT), Bandwidth(testCap))
	c := dial(t, p, cmdFetch)
	// Request, then serialization of the block, then the way back.
	floor := testRTT + time.Duration(block*8*float64(time.Second)/testCap)
	var times []time.Duration
	for range 3 {
		start := time.Now()
		if _, err := c.Write(sizeBytes(block)); err != nil {
			t.Fatal(err)
		}
		if _, err := io.CopyN(io.Discard, c, block); err != nil {
			t.Fatal(err)
		}
		d := time.Since(start)
		if d < floor {
			t.Errorf("1 MiB block in %v, faster than RTT + serialization %v", d, floor)
		}
		times = append(times, d)
	}
	t.Logf("1 MiB block: %v (floor %v)", times, floor)
	if best := slices.Min(times); best > floor+60*time.Millisecond {
		t.Errorf("fastest 1 MiB block took %v, want below %v", best, floor+60*time.Millisecond)
	}
}

func TestUncappedIsNotThrottled(t *testing.T) {
	const size = 32 << 20
	s := startCommandServer(t)
	p := newProxy(t, s.addr, Latency(10*time.Millisecond))
	c := dial(t, p, append([]byte{cmdDownload}, sizeBytes(size)...)...)
	readAck(t, c)
	start := time.Now()
	if _, err := io.CopyN(io.Discard, c, size); err != nil {
		t.Fatal(err)
	}
	rate := float64(size) / time.Since(start).Seconds()
	t.Logf("uncapped download: %.0f MB/s", rate/1e6)
	if rate < 20e6 {
		t.Errorf("uncapped download at %.1f MB/s, want at least 20", rate/1e6)
	}
}

func TestHalfClose(t *testing.T) {
	s := startCommandServer(t)
	p := newProxy(t, s.addr, Latency(testRTT), Bandwidth(testCap))
	c := dial(t, p, cmdHalf)
	payload := bytes.Repeat([]byte("x"), 300<<10)
	if _, err := c.Write(payload); err != nil {
		t.Fatal(err)
	}
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	reply, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("reading the reply: %v", err)
	}
	if len(reply) != 8 || binary.BigEndian.Uint64(reply) != uint64(len(payload)) {
		t.Errorf("reply %x, want the count %d", reply, len(payload))
	}
	waitFor(t, "connection teardown", func() bool { return p.Stats().Active == 0 })
}

func TestRefusedTarget(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := ln.Addr().String()
	ln.Close()
	var logs syncbuf.Buffer
	p := newProxy(t, refused, Latency(testRTT), Logger(slog.New(slog.NewTextHandler(&logs, nil))))
	c := dial(t, p, cmdEcho)
	n, err := c.Read(make([]byte, 1))
	if n != 0 || !errors.Is(err, io.EOF) {
		t.Errorf("client read %d bytes, err %v; want a clean EOF", n, err)
	}
	waitFor(t, "dial failure counted", func() bool {
		st := p.Stats()
		return st.DialFailures == 1 && st.Active == 0
	})
	if l := logs.String(); !strings.Contains(l, "dial target") || !strings.Contains(l, "target="+refused) {
		t.Errorf("log lacks the dial failure:\n%s", l)
	}
}

func TestCloseEndsEverything(t *testing.T) {
	s := startCommandServer(t)
	p, err := New(context.Background(), s.addr, Latency(testRTT), Bandwidth(testCap), Buffer(256<<10))
	if err != nil {
		t.Fatal(err)
	}
	idle := dial(t, p, cmdEcho)
	streaming := dial(t, p, cmdStream)
	unread := dial(t, p, cmdStream) // its data piles up in the buffers
	streamEnd := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, streaming)
		streamEnd <- err
	}()
	waitFor(t, "data to flow", func() bool { return p.Stats().ToClient > 512<<10 })
	if proxyGoroutines() == 0 {
		t.Fatal("no proxy goroutines found before Close: the count cannot prove anything")
	}

	closed := make(chan error, 1)
	go func() { closed <- p.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("Close did not return")
	}
	if n := proxyGoroutines(); n != 0 {
		t.Errorf("%d proxy goroutines left after Close", n)
	}
	if err := <-streamEnd; err != nil && !isReset(err) {
		t.Errorf("streaming connection: %v, want EOF or a reset", err)
	}
	for name, c := range map[string]net.Conn{"idle": idle, "unread": unread} {
		if _, err := io.Copy(io.Discard, c); err != nil && !isReset(err) {
			t.Errorf("%s connection: %v, want EOF or a reset", name, err)
		}
	}
	if c, err := net.Dial("tcp", p.Addr()); err == nil {
		c.Close()
		t.Error("the proxy still accepts connections after Close")
	}
	if st := p.Stats(); st.Active != 0 {
		t.Errorf("Stats after Close: %+v", st)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestContextEndsProxy(t *testing.T) {
	s := startCommandServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	p, err := New(ctx, s.addr, Latency(testRTT))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	c := dial(t, p, cmdEcho, 7)
	var b [1]byte
	if _, err := io.ReadFull(c, b[:]); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := io.Copy(io.Discard, c); err != nil && !isReset(err) {
		t.Errorf("client after cancel: %v", err)
	}
	waitFor(t, "proxy goroutines to end", func() bool { return proxyGoroutines() == 0 })
}

func isReset(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "connection reset") || strings.Contains(err.Error(), "broken pipe"))
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func ExampleNew() {
	target, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer target.Close()
	go func() {
		c, err := target.Accept()
		if err == nil {
			_, _ = io.Copy(c, c)
			c.Close()
		}
	}()

	p, err := New(context.Background(), target.Addr().String(),
		Latency(40*time.Millisecond), Bandwidth(50_000_000))
	if err != nil {
		panic(err)
	}
	defer p.Close()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		panic(err)
	}
	defer c.Close()
	start := time.Now()
	_, _ = c.Write([]byte("ping"))
	_, _ = io.ReadFull(c, make([]byte, 4))
	fmt.Println(time.Since(start) >= 40*time.Millisecond)
	// Output: true
}
