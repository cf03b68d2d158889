package main

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"
	carv2 "github.com/ipld/go-car/v2"
	"github.com/ipld/go-car/v2/storage"

	"github.com/ipfs-tube/ipfs-tube/app/internal/link"
	"github.com/ipfs-tube/ipfs-tube/node"
)

// The control API lets CLI commands use a repo that a daemon or the app
// holds. It listens on 127.0.0.1 only; every request must carry the token
// from the repo's api-token file (readable by the repo's owner only), and
// requests from web pages (an Origin header, a foreign Host) are refused.
//
// Decisions:
//   - Every start of a holder writes a new random token (mode 0600, written
//     atomically), so a token lives no longer than its process; a client
//     refuses a token file other users may read or write, with an error
//     saying so (errUnsafeToken), rather than send it.
//   - A client makes the server prove it knows the token (an HMAC of a
//     challenge, per connection, see controlauth.go) before it sends the
//     token: a stale api.json whose port another local user took gets
//     nothing, and the command goes on as if no holder served the API
//     (waiting for the repo lock, then opening the repo itself).
//   - `cat` and `get` receive a CAR and check every block against its CID
//     before writing its bytes (catverify.go).
//   - A failed or cancelled `add` pins nothing; its blocks go at the next
//     gc.
//   - The server has node.NewHTTPServer's bounds: header and idle
//     timeouts, a header size cap and a connection limit.
//   - `add?path=` imports regular files only: the holder opens the path
//     without blocking and checks what it opened, so a FIFO or device
//     named there cannot hold one of its threads.
const (
	apiFile      = "api.json"  // written when the API is ready, removed on exit
	apiTokenFile = "api-token" // rewritten by every holder start
	apiPrefix    = "/api/v1/"
)

// controlHTTPOptions change the server's bounds; tests set short ones.
var controlHTTPOptions []node.HTTPOption

// apiEndpoint is the content of api.json.
type apiEndpoint struct {
	Addr string `json:"addr"` // host:port on 127.0.0.1
	PID  int    `json:"pid"`
}

// apiError is the JSON body of a failed request.
type apiError struct {
	Error string `json:"error"`
	Code  int    `json:"exitCode"`
}

// controlServer serves a backend over the control API.
type controlServer struct {
	b     backend
	token string
	srv   *node.HTTPServer
	ln    net.Listener
	repo  string
	log   *slog.Logger
	// window is the app window when one holds the repo; nil in a daemon.
	window windowControl
}

// serveControl starts the control API for b on loopback and publishes its
// address in the repo; window is the app window, nil in a daemon. Close it
// before closing b.
func serveControl(repo string, b backend, log *slog.Logger, window windowControl) (*controlServer, error) {
	token, err := newToken(repo)
	if err != nil {
		return nil, fmt.Errorf("control API: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("control API: %w", err)
	}
	s := &controlServer{b: b, token: token, ln: ln, repo: repo, log: log, window: window}
	s.srv = node.NewHTTPServer(s, controlHTTPOptions...)
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("control API stopped", "err", err)
		}
	}()
	ep, _ := json.Marshal(apiEndpoint{Addr: ln.Addr().String(), PID: os.Getpid()})
	if err := writeFileAtomic(filepath.Join(repo, apiFile), ep, 0o600); err != nil {
		s.srv.Close()
		return nil, fmt.Errorf("control API: %w", err)
	}
	return s, nil
}

// Addr is where the API listens.
func (s *controlServer) Addr() string { return s.ln.Addr().String() }

// Close withdraws the API's address from the repo and stops serving.
func (s *controlServer) Close() error {
	os.Remove(filepath.Join(s.repo, apiFile))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		return s.srv.Close()
	}
	return nil
}

// removeStaleAPIFile is called by the process that just took the repo
// lock: an api.json left by a killed holder must not send clients to a
// dead (or someone else's) port.
func removeStaleAPIFile(repo string) {
	os.Remove(filepath.Join(repo, apiFile))
}

func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func (s *controlServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Browsers send Origin on cross-site requests, and a DNS-rebinding
	// page would arrive with its own host name.
	if r.Header.Get("Origin") != "" || !loopbackHost(r.Host) {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	if r.URL.Path == apiPrefix+helloOp {
		s.serveHello(w, r)
		return
	}
	got := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if subtle.ConstantTimeCompare([]byte(got), []byte(s.token)) != 1 {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	ctx := r.Context()
	q := r.URL.Query()
	var err error
	switch op := strings.TrimPrefix(r.URL.Path, apiPrefix); op {
	case "add":
		err = s.add(ctx, w, r, q)
	case "cat":
		if q.Get("format") == "car" {
			err = s.catCAR(ctx, w, q.Get("arg"))
		} else {
			err = s.cat(ctx, w, q.Get("arg"))
		}
	case "pin/add", "pin/rm":
		var t link.Target
		if t, err = link.Parse(q.Get("arg")); err == nil {
			var c cid.Cid
			if op == "pin/add" {
				c, err = s.b.PinAdd(ctx, t)
			} else {
				c, err = s.b.PinRm(ctx, t)
			}
			if err == nil {
				writeJSON(w, map[string]string{"cid": c.String()})
			}
		}
	case "pin/ls":
		var pins []node.PinInfo
		if pins, err = s.b.PinLs(ctx); err == nil {
			out := []map[string]string{}
			for _, p := range pins {
				out = append(out, map[string]string{"cid": p.Cid.String(), "mode": p.Mode})
			}
			writeJSON(w, out)
		}
	case "gc":
		var res node.GCResult
		if res, err = s.b.GC(ctx); err == nil {
			writeJSON(w, res)
		}
	case "id":
		var info idInfo
		if info, err = s.b.ID(ctx); err == nil {
			writeJSON(w, info)
		}
	case "stream":
		var t link.Target
		if t, err = link.Parse(q.Get("arg")); err == nil {
			var u string
			if u, err = s.b.Stream(ctx, t); err == nil {
				writeJSON(w, streamReply{URL: u})
			}
		}
	case "seeding":
		var rep seedingReport
		if rep, err = s.b.Seeding(ctx); err == nil {
			writeJSON(w, rep)
		}
	case "gateways":
		var ranks []node.GatewayRank
		if ranks, err = s.b.Gateways(ctx); err == nil {
			writeJSON(w, ranks)
		}
	case "stream/stats":
		var st node.GatewayStats
		if st, err = s.b.StreamStats(ctx); err == nil {
			writeJSON(w, st)
		}
	default:
		var handled bool
		if handled, err = s.serveWindow(w, op, q); !handled {
			http.NotFound(w, r)
			return
		}
	}
	if err != nil {
		code := exitCode(err)
		status := http.StatusInternalServerError
		switch code {
		case exitUsage:
			status = http.StatusBadRequest
		case exitNotFound:
			status = http.StatusNotFound
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(apiError{Error: err.Error(), Code: code})
	}
}

// add imports a file the client names by path, or the request body. The
// response is JSON lines: progress ({"done","total"}) as the import goes,
// then one line with the result or the error, so a long import shows
// progress and an error after the first line still reaches the client.
func (s *controlServer) add(ctx context.Context, w http.ResponseWriter, r *http.Request, q url.Values) error {
	src := addSource{path: q.Get("path"), r: r.Body, size: -1}
	if n, err := strconv.ParseInt(q.Get("size"), 10, 64); err == nil {
		src.size = n
	}
	if src.path != "" && !filepath.IsAbs(src.path) {
		return usagef("add: path %q is not absolute", src.path)
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	enc := json.NewEncoder(w)
	flusher, _ := w.(http.Flusher)
	var lastPct int64 = -1
	progress := func(done, total int64) {
		pct := int64(-1)
		if total > 0 {
			pct = done * 100 / total
		}
		if pct == lastPct && total > 0 {
			return
		}
		lastPct = pct
		enc.Encode(addLine{Done: done, Total: total})
		if flusher != nil {
			flusher.Flush()
		}
	}
	if src.path == "" {
		// Streamed through the body: the client counts progress itself,
		// and an HTTP/1.1 handler that writes before it has read the
		// whole body may find the rest of the body gone.
		progress = nil
	}
	res, err := s.b.Add(ctx, src, progress)
	if err != nil {
		return enc.Encode(addLine{Error: err.Error(), Code: exitCode(err)})
	}
	l := addLine{Cid: res.Cid.String(), Size: res.Size, Title: res.Title}
	if res.Dir.Defined() {
		l.Dir = res.Dir.String()
	}
	return enc.Encode(l)
}

// streamReply answers "stream": the gateway URL to play.
type streamReply struct {
	URL string `json:"url"`
}

// addLine is one line of an add response.
type addLine struct {
	Done  int64  `json:"done,omitempty"`
	Total int64  `json:"total,omitempty"`
	Cid   string `json:"cid,omitempty"`
	Size  int64  `json:"size,omitempty"`
	Dir   string `json:"dir,omitempty"`   // the published directory of a video
	Title string `json:"title,omitempty"` // its title as an own upload
	Error string `json:"error,omitempty"`
	Code  int    `json:"exitCode,omitempty"`
}

func (s *controlServer) cat(ctx context.Context, w http.ResponseWriter, arg string) error {
	t, err := link.Parse(arg)
	if err != nil {
		return err
	}
	rc, size, err := s.b.Cat(ctx, t)
	if err != nil {
		return err
	}
	defer rc.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	// Past this point a failure can only cut the body short; the client
	// notices the missing bytes against Content-Length.
	if _, err := io.Copy(w, rc); err != nil {
		s.log.Warn("cat cut short", "arg", arg, "err", err)
	}
	return nil
}

// fileSizeHeader carries the file's size with a CAR answer to cat.
const fileSizeHeader = "Ipfs-Tube-File-Size"

// blockSender is a backend that can send a file as its blocks: one that
// holds the node.
type blockSender interface {
	// FileOf resolves t to a file's CID and size.
	FileOf(ctx context.Context, t link.Target) (cid.Cid, int64, error)
	// WalkFile emits the file's blocks as node.WalkFile does.
	WalkFile(ctx context.Context, c cid.Cid, emit func(blocks.Block) error) error
}

// catCAR answers cat with a CAR of the file, blocks depth-first, which the
// client verifies block by block (catverify.go).
func (s *controlServer) catCAR(ctx context.Context, w http.ResponseWriter, arg string) error {
	t, err := link.Parse(arg)
	if err != nil {
		return err
	}
	bs, ok := s.b.(blockSender)
	if !ok {
		return errors.New("cat: this holder cannot send blocks")
	}
	c, size, err := bs.FileOf(ctx, t)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/vnd.ipld.car; version=1")
	w.Header().Set(fileSizeHeader, strconv.FormatInt(size, 10))
	// Duplicates stay: the client expects a block wherever the DAG links it.
	car, err := storage.NewWritable(w, []cid.Cid{c},
		carv2.WriteAsCarV1(true), carv2.AllowDuplicatePuts(true), carv2.StoreIdentityCIDs(true))
	if err != nil {
		return fmt.Errorf("cat: %w", err)
	}
	// Past this point a failure can only cut the stream short; the client
	// notices the missing blocks.
	err = bs.WalkFile(ctx, c, func(b blocks.Block) error {
		return car.Put(ctx, b.Cid().KeyString(), b.RawData())
	})
	if err != nil {
		s.log.Warn("cat cut short", "arg", arg, "err", err)
	}
	return nil
}

func loopbackHost(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// controlClient is a backend that forwards to the repo holder's API.
type controlClient struct {
	base  string
	token string
	http  *http.Client
}

var _ backend = (*controlClient)(nil)

func readControl(repo string) (*controlClient, error) {
	raw, err := os.ReadFile(filepath.Join(repo, apiFile))
	if err != nil {
		return nil, err
	}
	var ep apiEndpoint
	if err := json.Unmarshal(raw, &ep); err != nil {
		return nil, err
	}
	tok, err := readToken(repo)
	if err != nil {
		return nil, err
	}
	return &controlClient{
		base:  "http://" + ep.Addr + apiPrefix,
		token: tok,
		http: &http.Client{Transport: &http.Transport{
			Proxy: nil, DisableCompression: true,
			// Every connection proves the holder first (controlauth.go).
			DialContext: dialHolder(tok),
		}},
	}, nil
}

func (c *controlClient) ping(ctx context.Context) error {
	_, err := c.ID(ctx)
	return err
}

func (c *controlClient) do(ctx context.Context, method, op string, q url.Values, body io.Reader, out any) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+op+"?"+q.Encode(), body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("control API: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		var ae apiError
		if json.NewDecoder(resp.Body).Decode(&ae) == nil && ae.Error != "" {
			return nil, &remoteError{msg: ae.Error, code: ae.Code}
		}
		return nil, fmt.Errorf("control API: %s", resp.Status)
	}
	if out == nil {
		return resp, nil
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return nil, fmt.Errorf("control API: %w", err)
	}
	return nil, nil
}

// remoteError carries the holder's error and exit code to this process.
type remoteError struct {
	msg  string
	code int
}

func (e *remoteError) Error() string { return e.msg }

func (c *controlClient) Add(ctx context.Context, src addSource, progress func(done, total int64)) (addResult, error) {
	q := url.Values{"size": {strconv.FormatInt(src.size, 10)}}
	var body io.Reader = http.NoBody
	if src.path != "" {
		q.Set("path", src.path)
	} else {
		// Streamed: count what we send, the holder cannot see the total.
		body = io.NopCloser(&countingReader{r: src.r, total: src.size, progress: progress})
		progress = nil
	}
	resp, err := c.do(ctx, http.MethodPost, "add", q, body, nil)
	if err != nil {
		return addResult{}, err
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(resp.Body)
	for {
		var l addLine
		if err := dec.Decode(&l); err != nil {
			if ctx.Err() != nil {
				return addResult{}, ctx.Err()
			}
			return addResult{}, fmt.Errorf("control API: add: %w", err)
		}
		switch {
		case l.Error != "":
			return addResult{}, &remoteError{msg: l.Error, code: l.Code}
		case l.Cid != "":
			id, err := cid.Decode(l.Cid)
			if err != nil {
				return addResult{}, fmt.Errorf("control API: %w", err)
			}
			res := addResult{ImportResult: node.ImportResult{Cid: id, Size: l.Size}, Title: l.Title}
			if l.Dir != "" {
				if res.Dir, err = cid.Decode(l.Dir); err != nil {
					return addResult{}, fmt.Errorf("control API: %w", err)
				}
			}
			return res, nil
		case progress != nil:
			progress(l.Done, l.Total)
		}
	}
}

// countingReader reports bytes read through it.
type countingReader struct {
	r        io.Reader
	done     int64
	total    int64
	progress func(done, total int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.done += int64(n)
	if c.progress != nil && n > 0 {
		c.progress(c.done, c.total)
	}
	return n, err
}

// Cat receives the file as a CAR and returns a reader that yields only
// verified bytes (catverify.go).
func (c *controlClient) Cat(ctx context.Context, t link.Target) (io.ReadCloser, int64, error) {
	resp, err := c.do(ctx, http.MethodGet, "cat", url.Values{"arg": {t.String()}, "format": {"car"}}, nil, nil)
	if err != nil {
		return nil, 0, err
	}
	size, err := strconv.ParseInt(resp.Header.Get(fileSizeHeader), 10, 64)
	if err != nil {
		size = -1
	}
	want := cid.Undef
	if t.IPNS == "" && t.Path == "" {
		want = t.Cid
	}
	vf, err := newVerifiedFile(resp.Body, want)
	if err != nil {
		resp.Body.Close()
		return nil, 0, err
	}
	return vf, size, nil
}

func (c *controlClient) pin(ctx context.Context, op string, t link.Target) (cid.Cid, error) {
	var out struct {
		Cid string `json:"cid"`
	}
	if _, err := c.do(ctx, http.MethodPost, op, url.Values{"arg": {t.String()}}, nil, &out); err != nil {
		return cid.Undef, err
	}
	return cid.Decode(out.Cid)
}

func (c *controlClient) PinAdd(ctx context.Context, t link.Target) (cid.Cid, error) {
	return c.pin(ctx, "pin/add", t)
}

func (c *controlClient) PinRm(ctx context.Context, t link.Target) (cid.Cid, error) {
	return c.pin(ctx, "pin/rm", t)
}

func (c *controlClient) PinLs(ctx context.Context) ([]node.PinInfo, error) {
	var out []struct{ Cid, Mode string }
	if _, err := c.do(ctx, http.MethodGet, "pin/ls", nil, nil, &out); err != nil {
		return nil, err
	}
	pins := make([]node.PinInfo, 0, len(out))
	for _, p := range out {
		id, err := cid.Decode(p.Cid)
		if err != nil {
			return nil, fmt.Errorf("control API: %w", err)
		}
		pins = append(pins, node.PinInfo{Cid: id, Mode: p.Mode})
	}
	return pins, nil
}

func (c *controlClient) Stream(ctx context.Context, t link.Target) (string, error) {
	var out streamReply
	_, err := c.do(ctx, http.MethodPost, "stream", url.Values{"arg": {t.String()}}, nil, &out)
	return out.URL, err
}

func (c *controlClient) StreamStats(ctx context.Context) (node.GatewayStats, error) {
	var out node.GatewayStats
	_, err := c.do(ctx, http.MethodGet, "stream/stats", nil, nil, &out)
	return out, err
}

func (c *controlClient) GC(ctx context.Context) (node.GCResult, error) {
	var out node.GCResult
	_, err := c.do(ctx, http.MethodPost, "gc", nil, nil, &out)
	return out, err
}

func (c *controlClient) ID(ctx context.Context) (idInfo, error) {
	var out idInfo
	_, err := c.do(ctx, http.MethodGet, "id", nil, nil, &out)
	return out, err
}

func (c *controlClient) Close() error {
	c.http.CloseIdleConnections()
	return nil
}
