package node

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// countingListener counts the connections it accepted that are still
// open, and remembers the peak. It sits under the server's limit, so a
// connection counts until its Close frees the slot.
type countingListener struct {
	net.Listener
	mu         sync.Mutex
	open, peak int
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.open++
	l.peak = max(l.peak, l.open)
	l.mu.Unlock()
	return &countedConn{Conn: c, l: l}, nil
}

func (l *countingListener) peakOpen() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.peak
}

type countedConn struct {
	net.Conn
	l    *countingListener
	once sync.Once
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.l.mu.Lock()
		c.l.open--
		c.l.mu.Unlock()
	})
	return err
}

// serveBounded serves srv on a loopback port until the test ends.
func serveBounded(t *testing.T, srv *HTTPServer) *countingListener {
	t.Helper()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := &countingListener{Listener: inner}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return ln
}

// waitClosedByServer reads from c until the server closes it (EOF or a
// reset), failing the test if that takes past the deadline.
func waitClosedByServer(t *testing.T, c net.Conn, r io.Reader, deadline time.Time) {
	t.Helper()
	c.SetReadDeadline(deadline)
	_, err := io.Copy(io.Discard, r)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("connection %s still open at the deadline", c.LocalAddr())
	}
}

// 300 connections that never send a request are never more than the limit
// at once in the server, and each is closed after the header timeout
// (before the bounds, all 300 sat open until the client gave up).
func TestHTTPServerBoundsIdleConnections(t *testing.T) {
	const limit, clients = 16, 300
	srv := NewHTTPServer(http.NotFoundHandler(),
		HTTPMaxConns(limit), HTTPReadHeaderTimeout(100*time.Millisecond), HTTPIdleTimeout(100*time.Millisecond))
	ln := serveBounded(t, srv)
	addr := ln.Addr().String()

	conns := make([]net.Conn, 0, clients)
	for range clients {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial %d: %v", len(conns), err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	// 300/16 rounds of 100 ms: a few seconds; the margin is for a busy
	// machine.
	deadline := time.Now().Add(60 * time.Second)
	for _, c := range conns {
		waitClosedByServer(t, c, c, deadline)
	}
	if p := ln.peakOpen(); p > limit {
		t.Fatalf("%d connections open at once, limit %d", p, limit)
	}
	if p := ln.peakOpen(); p == 0 {
		t.Fatal("the server saw no connection")
	}
}

// A keep-alive connection that made a request and then sits idle is
// closed after the idle timeout.
func TestHTTPServerClosesIdleKeepAlive(t *testing.T) {
	srv := NewHTTPServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}), HTTPIdleTimeout(200*time.Millisecond))
	addr := serveBounded(t, srv).Addr().String()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: "+addr+"\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.Close {
		t.Fatal("server did not keep the connection alive")
	}
	waitClosedByServer(t, c, br, time.Now().Add(30*time.Second))
}

// Request headers past the bound are refused.
func TestHTTPServerCapsHeaders(t *testing.T) {
	srv := NewHTTPServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	addr := serveBounded(t, srv).Addr().String()
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/", nil)
	big := strings.Repeat("a", 2*DefaultMaxHeaderBytes)
	req.Header.Set("X-Big", big)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("status %d for %d header bytes, want 431", resp.StatusCode, len(big))
	}
}

// The loopback gateway is built with NewHTTPServer: a connection that
// never sends a request is closed after the header timeout (it had no
// bound but 10 s before, and idle keep-alive connections none at all).
func TestGatewayClosesIdleConnections(t *testing.T) {
	n := newTestNode(t)
	gw, err := n.StartGateway(context.Background(),
		GatewayHTTP(HTTPMaxConns(4), HTTPReadHeaderTimeout(100*time.Millisecond), HTTPIdleTimeout(100*time.Millisecond)))
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	var conns []net.Conn
	for range 40 {
		c, err := net.Dial("tcp", gw.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	// 40/4 rounds of 100 ms; 10 s would mean the bounds are not applied.
	deadline := time.Now().Add(8 * time.Second)
	for _, c := range conns {
		waitClosedByServer(t, c, c, deadline)
	}
}
