package node

import (
	"net"
	"net/http"
	"time"

	"golang.org/x/net/netutil"
)

// Bounds every HTTP server of the program gets from NewHTTPServer (the
// loopback streaming gateway, the app's control API, and any server added
// later), so no caller has to remember them:
//
//   - a connection has DefaultReadHeaderTimeout to send its request
//     headers (a connection that sends nothing is closed then);
//   - a keep-alive connection idle for DefaultIdleTimeout between requests
//     is closed;
//   - request headers are capped at DefaultMaxHeaderBytes;
//   - at most DefaultMaxConns connections are open at once: past that,
//     new connections wait in the kernel's accept queue until one closes,
//     so idle clients cannot exhaust the process's file descriptors.
//
// There is deliberately no read or write timeout on a whole request: a
// player reads a long range as slowly as it plays (or not at all while
// paused), and `add -` streams a file of any size as the request body.
// Handlers bound their own work.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultIdleTimeout       = 60 * time.Second
	DefaultMaxHeaderBytes    = 64 << 10
	// DefaultMaxConns leaves room for a player's few connections, the
	// gateway handler's 64 concurrent requests, and CLI commands.
	DefaultMaxConns = 128
)

// HTTPServer is an http.Server with the bounds above. Serve it with
// (*HTTPServer).Serve, which applies the connection limit; the embedded
// server's own Serve or ServeTLS would go without it.
type HTTPServer struct {
	*http.Server
	maxConns int
}

// HTTPOption changes one of NewHTTPServer's bounds (tests use short ones).
type HTTPOption func(*HTTPServer)

// HTTPReadHeaderTimeout sets how long a connection has to send a request's
// headers.
func HTTPReadHeaderTimeout(d time.Duration) HTTPOption {
	return func(s *HTTPServer) { s.ReadHeaderTimeout = d }
}

// HTTPIdleTimeout sets how long a keep-alive connection may sit idle.
func HTTPIdleTimeout(d time.Duration) HTTPOption {
	return func(s *HTTPServer) { s.IdleTimeout = d }
}

// HTTPMaxConns sets how many connections may be open at once.
func HTTPMaxConns(n int) HTTPOption {
	return func(s *HTTPServer) { s.maxConns = n }
}

// NewHTTPServer returns a server for h with the package's bounds, changed
// by opts. Callers may set other fields (BaseContext, ConnState) before
// serving.
func NewHTTPServer(h http.Handler, opts ...HTTPOption) *HTTPServer {
	s := &HTTPServer{
		Server: &http.Server{
			Handler:           h,
			ReadHeaderTimeout: DefaultReadHeaderTimeout,
			IdleTimeout:       DefaultIdleTimeout,
			MaxHeaderBytes:    DefaultMaxHeaderBytes,
		},
		maxConns: DefaultMaxConns,
	}
	for _, opt := range opts {
		opt(s)
	}
	return s
}

// Serve accepts connections on ln, at most the server's limit at once,
// until the server is closed.
func (s *HTTPServer) Serve(ln net.Listener) error {
	if s.maxConns > 0 {
		ln = netutil.LimitListener(ln, s.maxConns)
	}
	return s.Server.Serve(ln)
}

// ListenAndServe listens on the server's Addr and serves it with the
// connection limit.
func (s *HTTPServer) ListenAndServe() error {
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return err
	}
	return s.Serve(ln)
}
