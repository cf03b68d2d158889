package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"

	"github.com/ipfs-tube/ipfs-tube/app/internal/link"
	"github.com/ipfs-tube/ipfs-tube/node"
)

// testHolder is a repo held by this process with the control API served,
// as a daemon holds it, with b as the API's backend.
type testHolder struct {
	repo string
	n    *node.Node
	b    *localBackend
	ctl  *controlServer
}

func newTestHolder(t *testing.T, wrap func(*localBackend) backend) *testHolder {
	t.Helper()
	ctx := context.Background()
	repo := filepath.Join(t.TempDir(), "repo")
	n, err := node.New(ctx, node.Config{Repo: repo, Isolated: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	lb := &localBackend{n: n}
	var b backend = lb
	if wrap != nil {
		b = wrap(lb)
	}
	ctl, err := serveControl(repo, b, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ctl.Close() })
	return &testHolder{repo: repo, n: n, b: lb, ctl: ctl}
}

func (h *testHolder) client(t *testing.T) *controlClient {
	t.Helper()
	cl, err := readControl(h.repo)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	return cl
}

// squatter listens where a stale api.json points, records every byte it
// receives and answers every request with a forged 200.
type squatter struct {
	ln    net.Listener
	mu    sync.Mutex
	got   bytes.Buffer
	first chan struct{}
	once  sync.Once
}

func newSquatter(t *testing.T) *squatter {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &squatter{ln: ln, first: make(chan struct{})}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *squatter) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(io.TeeReader(c, lockedWriter{&s.mu, &s.got}))
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		io.Copy(io.Discard, req.Body)
		s.once.Do(func() { close(s.first) })
		body := `{"id":"forged","addrs":["/ip4/6.6.6.6/tcp/1"]}`
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "+
			strconv.Itoa(len(body))+"\r\n\r\n"+body)
	}
}

func (s *squatter) received() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.got.String()
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// A holder killed without cleaning up leaves api.json behind; another
// local user who binds its port must not receive the token from the next
// command. Here the repo is busy (its lock held, as by a one-shot command)
// and api.json names a squatter's port: `id` must not send the token there
// nor believe its answers, and once the lock is free it opens the repo
// itself.
func TestStaleAPIFileSendsNoToken(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "repo")
	mustRun(t, repo, "id") // creates the repo
	sq := newSquatter(t)
	const token = "5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7"
	if err := os.WriteFile(filepath.Join(repo, apiTokenFile), []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ep, _ := json.Marshal(apiEndpoint{Addr: sq.ln.Addr().String(), PID: 1})
	if err := os.WriteFile(filepath.Join(repo, apiFile), ep, 0o600); err != nil {
		t.Fatal(err)
	}
	lock, err := node.LockRepo(repo)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binPath, "id", "--isolated", "--repo", repo, "--timeout", "60s")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-sq.first:
	case <-time.After(60 * time.Second):
		t.Fatal("the command never reached the port in api.json")
	}
	lock.Unlock()
	err = cmd.Wait()
	if got := sq.received(); strings.Contains(got, token) {
		t.Fatalf("the squatter received the token:\n%s", got)
	}
	if err != nil {
		t.Fatalf("id: %v: %s", err, errb.String())
	}
	if strings.Contains(out.String(), "forged") || strings.Contains(out.String(), "6.6.6.6") {
		t.Fatalf("id printed the squatter's answer: %q", out.String())
	}
	if !strings.Contains(out.String(), "12D3KooW") {
		t.Fatalf("id printed %q, want this repo's peer ID", out.String())
	}
}

// Every start of a holder writes a new token, mode 0600, even over a file
// someone loosened; a client refuses a token file others may read.
func TestControlTokenRotatesAndLooseFileRefused(t *testing.T) {
	repo := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	tokenPath := filepath.Join(repo, apiTokenFile)
	s1, err := serveControl(repo, nil, log, nil)
	if err != nil {
		t.Fatal(err)
	}
	tok1, _ := os.ReadFile(tokenPath)
	s1.Close()
	if err := os.Chmod(tokenPath, 0o644); err != nil {
		t.Fatal(err)
	}
	s2, err := serveControl(repo, nil, log, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	tok2, _ := os.ReadFile(tokenPath)
	if bytes.Equal(tok1, tok2) {
		t.Fatal("the second start reused the first start's token")
	}
	fi, err := os.Stat(tokenPath)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file mode %04o after start, want 0600", fi.Mode().Perm())
	}

	for _, mode := range []os.FileMode{0o640, 0o604, 0o620} {
		os.Chmod(tokenPath, mode)
		if _, err := readControl(repo); !errors.Is(err, errUnsafeToken) {
			t.Fatalf("token file mode %04o: readControl: %v, want errUnsafeToken", mode, err)
		}
	}
	os.Chmod(tokenPath, 0o600)
	cl, err := readControl(repo)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	// An authenticated request reaches the handler (which, with no
	// window, says so).
	if _, err := cl.windowState(context.Background()); err == nil || !strings.Contains(err.Error(), "daemon holds this repo") {
		t.Fatalf("app/state with the new token: %v", err)
	}
}

// forgingBackend serves cat's blocks through forge.
type forgingBackend struct {
	*localBackend
	forge func(i int, b blocks.Block) blocks.Block
}

func (f forgingBackend) WalkFile(ctx context.Context, c cid.Cid, emit func(blocks.Block) error) error {
	i := 0
	return f.localBackend.WalkFile(ctx, c, func(b blocks.Block) error {
		b = f.forge(i, b)
		i++
		return emit(b)
	})
}

// testFile is 2 MiB of zeros (one leaf linked twice), 1 MiB of random
// bytes and a short tail.
func testFile(t *testing.T) []byte {
	t.Helper()
	data := make([]byte, 3<<20+17)
	rand.Read(data[2<<20:])
	return data
}

// cat through the control API yields the file's bytes only when every
// block matches its CID; a holder that forges a block, swaps one, or sends
// another file gets an error, and no byte of the forgery is returned.
func TestControlCatVerifiesBlocks(t *testing.T) {
	data := testFile(t)
	for _, tc := range []struct {
		name  string
		forge func(i int, b blocks.Block) blocks.Block
	}{
		{"honest", nil},
		{"flipped byte", flipByte},
		{"swapped leaf", func(i int, b blocks.Block) blocks.Block {
			if i != 3 {
				return b
			}
			// A block that hashes right but is not the one linked here.
			return blocks.NewBlock([]byte("some other block"))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var wrap func(*localBackend) backend
			if tc.forge != nil {
				wrap = func(lb *localBackend) backend { return forgingBackend{lb, tc.forge} }
			}
			h := newTestHolder(t, wrap)
			ctx := context.Background()
			res, err := h.b.Add(ctx, addSource{r: bytes.NewReader(data), size: int64(len(data))}, nil)
			if err != nil {
				t.Fatal(err)
			}
			rc, size, err := h.client(t).Cat(ctx, link.Target{Cid: res.Cid})
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			if size != int64(len(data)) {
				t.Fatalf("size %d, want %d", size, len(data))
			}
			got, err := io.ReadAll(rc)
			if tc.forge == nil {
				if err != nil || !bytes.Equal(got, data) {
					t.Fatalf("honest cat: %d bytes, %v", len(got), err)
				}
				return
			}
			if !errors.Is(err, errCATMismatch) {
				t.Fatalf("forged cat: %d bytes, err %v; want errCATMismatch", len(got), err)
			}
			if !bytes.Equal(got, data[:len(got)]) {
				t.Fatal("forged cat returned bytes that are not the file's")
			}
		})
	}
}

// flipByte forges the fourth block of a cat's stream: the CID it claims,
// one bit different.
func flipByte(i int, b blocks.Block) blocks.Block {
	if i != 3 {
		return b
	}
	raw := bytes.Clone(b.RawData())
	raw[10] ^= 1
	forged, _ := blocks.NewBlockWithCid(raw, b.Cid()) // no check without u.Debug
	return forged
}

// The commands, through a holder that forges a block: get writes no file
// (nor leaves a part file), cat writes only the verified bytes before the
// forgery, and both exit non-zero saying why.
func TestControlGetCatForgedAnswer(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	h := newTestHolder(t, func(lb *localBackend) backend { return forgingBackend{lb, flipByte} })
	data := testFile(t)
	res, err := h.b.Add(context.Background(), addSource{r: bytes.NewReader(data), size: int64(len(data))}, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "video.bin")
	var stdout, stderr bytes.Buffer
	code := run([]string{"get", res.Cid.String(), "-o", out, "--repo", h.repo, "--isolated", "--timeout", "60s"}, nil, &stdout, &stderr)
	if code == exitOK || !strings.Contains(stderr.String(), "does not match") {
		t.Fatalf("get from a forging holder: exit %d, %q", code, stderr.String())
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatalf("get from a forging holder left %v", left)
	}
	stdout.Reset()
	stderr.Reset()
	code = run([]string{"cat", res.Cid.String(), "--repo", h.repo, "--isolated", "--timeout", "60s"}, nil, &stdout, &stderr)
	if code == exitOK || !strings.Contains(stderr.String(), "does not match") {
		t.Fatalf("cat from a forging holder: exit %d, %q", code, stderr.String())
	}
	if got := stdout.Bytes(); !bytes.Equal(got, data[:len(got)]) {
		t.Fatal("cat from a forging holder wrote bytes that are not the file's")
	}
}

// A holder answering cat with a whole other file (a valid CAR of the wrong
// root) is refused before any byte.
func TestControlCatRefusesOtherRoot(t *testing.T) {
	var sendInstead atomic.Pointer[cid.Cid]
	h := newTestHolder(t, func(lb *localBackend) backend { return rootSwapBackend{lb, &sendInstead} })
	ctx := context.Background()
	a, err := h.b.Add(ctx, addSource{r: strings.NewReader("the file asked for"), size: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	other, err := h.b.Add(ctx, addSource{r: strings.NewReader("a file sent instead"), size: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	sendInstead.Store(&other.Cid)
	_, _, err = h.client(t).Cat(ctx, link.Target{Cid: a.Cid})
	if !errors.Is(err, errCATMismatch) {
		t.Fatalf("cat answered with another root: %v, want errCATMismatch", err)
	}
}

// rootSwapBackend resolves every target to the file in root.
type rootSwapBackend struct {
	*localBackend
	root *atomic.Pointer[cid.Cid]
}

func (r rootSwapBackend) FileOf(ctx context.Context, _ link.Target) (cid.Cid, int64, error) {
	return r.localBackend.FileOf(ctx, link.Target{Cid: *r.root.Load()})
}

// An add whose stream ends short of the size the client announced fails
// and leaves no pin (it used to pin the partial file, then fail).
func TestControlFailedAddPinsNothing(t *testing.T) {
	h := newTestHolder(t, nil)
	ctx := context.Background()
	data := testFile(t)
	_, err := h.client(t).Add(ctx, addSource{r: bytes.NewReader(data), size: int64(len(data)) + 100}, nil)
	if err == nil || !strings.Contains(err.Error(), "received") {
		t.Fatalf("short add: %v, want an error", err)
	}
	pins, err := h.n.Pins(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(pins) != 0 {
		t.Fatalf("a failed add left pins: %v", pins)
	}
}

// The control API's server has node.NewHTTPServer's bounds: connections
// that send nothing are closed after the header timeout, a few at a time.
func TestControlAPIClosesIdleConnections(t *testing.T) {
	controlHTTPOptions = []node.HTTPOption{node.HTTPMaxConns(4),
		node.HTTPReadHeaderTimeout(100 * time.Millisecond), node.HTTPIdleTimeout(100 * time.Millisecond)}
	defer func() { controlHTTPOptions = nil }()
	h := newTestHolder(t, nil)
	var conns []net.Conn
	for range 40 {
		c, err := net.Dial("tcp", h.ctl.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	// 40/4 rounds of 100 ms; the old server held each for 10 s.
	deadline := time.Now().Add(8 * time.Second)
	for _, c := range conns {
		c.SetReadDeadline(deadline)
		if _, err := io.Copy(io.Discard, c); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("connection %s still open at the 8 s deadline", c.LocalAddr())
			}
		}
	}
}
