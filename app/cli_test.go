package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	mh "github.com/multiformats/go-multihash"
)

// binPath is the ipfs-tube binary built once for the tests that need
// separate processes (locks, signals, the daemon).
var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ipfs-tube-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "ipfs-tube")
	build := exec.Command("go", "build", "-o", binPath, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building ipfs-tube for tests:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	stdout, stderr string
	code           int
}

// runCLI runs the binary with --isolated and the given repo.
func runCLI(t testing.TB, repo string, stdin io.Reader, args ...string) result {
	t.Helper()
	cmd := exec.Command(binPath, append(args, "--isolated", "--repo", repo)...)
	cmd.Stdin = stdin
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

func mustRun(t testing.TB, repo string, args ...string) string {
	t.Helper()
	r := runCLI(t, repo, nil, args...)
	if r.code != 0 {
		t.Fatalf("ipfs-tube %s: exit %d: %s", strings.Join(args, " "), r.code, r.stderr)
	}
	return r.stdout
}

// randomCID names content nobody has.
func randomCID(t testing.TB) string {
	b := make([]byte, 32)
	rand.Read(b)
	sum := sha256.Sum256(b)
	digest, _ := mh.Encode(sum[:], mh.SHA2_256)
	return cid.NewCidV1(cid.Raw, digest).String()
}

func writeRandomFile(t testing.TB, size int) (string, []byte) {
	t.Helper()
	data := make([]byte, size)
	rand.Read(data)
	p := filepath.Join(t.TempDir(), "file.bin")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p, data
}

func TestCLIAddCatGetPinGC(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "repo")
	p, data := writeRandomFile(t, 3<<20+17)
	// Flags after positional arguments and global flags after the command.
	c := strings.TrimSpace(mustRun(t, repo, "add", p, "--timeout", "1m"))
	if _, err := cid.Decode(c); err != nil {
		t.Fatalf("add printed %q, not a CID", c)
	}
	if got := mustRun(t, repo, "cat", c); got != string(data) {
		t.Fatal("cat gave different bytes")
	}
	out := filepath.Join(t.TempDir(), "got.bin")
	mustRun(t, repo, "get", c, "-o", out)
	if got, _ := os.ReadFile(out); !bytes.Equal(got, data) {
		t.Fatal("get wrote different bytes")
	}
	if ls := mustRun(t, repo, "pin", "ls"); ls != c+" recursive\n" {
		t.Fatalf("pin ls: %q", ls)
	}
	mustRun(t, repo, "pin", "rm", c)
	if gc := mustRun(t, repo, "gc"); !strings.HasPrefix(gc, "removed 5 blocks") {
		t.Fatalf("gc: %q, want 5 blocks removed (4 leaves and the root)", gc)
	}
	r := runCLI(t, repo, nil, "cat", c, "--timeout", "500ms")
	if r.code != exitNotFound {
		t.Fatalf("cat after gc: exit %d, want %d", r.code, exitNotFound)
	}
	// stdin import gives the same CID as the file.
	if got := runCLI(t, repo, bytes.NewReader(data), "add", "-"); strings.TrimSpace(got.stdout) != c {
		t.Fatalf("add - gave %q (%s), want %s", got.stdout, got.stderr, c)
	}
	id := mustRun(t, repo, "id")
	if !strings.HasPrefix(id, "12D3KooW") {
		t.Fatalf("id: %q", id)
	}
}

func TestCLIBadInputs(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "repo")
	dir := t.TempDir()
	dangling := filepath.Join(dir, "dangling")
	os.Symlink(filepath.Join(dir, "nowhere"), dangling)
	good, _ := writeRandomFile(t, 100)
	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"bad CID", []string{"cat", "bafyNOTACID"}, exitUsage, "not a CID or IPFS link"},
		{"web URL", []string{"cat", "https://example.com/video.mp4"}, exitUsage, "not an IPFS gateway link"},
		{"not found", []string{"cat", randomCID(t), "--timeout", "1s"}, exitNotFound, "not found within --timeout 1s"},
		{"directory", []string{"add", dir}, exitUsage, "is a directory"},
		{"unreadable", []string{"add", good, dangling}, exitUsage, "no such file"},
		{"device", []string{"add", "/dev/null"}, exitUsage, "not a regular file"},
		{"bad peer", []string{"id", "--peer", "/ip4/127.0.0.1/tcp/1"}, exitUsage, "no /p2p/"},
		{"unknown flag", []string{"add", "--frobnicate"}, exitUsage, "unknown flag"},
		{"bad upload limit", []string{"daemon", "--upload-limit", "fast"}, exitUsage, "--upload-limit"},
		// Used to round to 0 B/s, which means no cap.
		{"upload limit below 1 B/s", []string{"daemon", "--upload-limit", "7bit"}, exitUsage, "rate 7bit is below 1 B/s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, repo, nil, tc.args...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.msg) {
				t.Fatalf("exit %d, stderr %q; want exit %d mentioning %q", r.code, r.stderr, tc.code, tc.msg)
			}
		})
	}
	// The good file before the dangling one was not imported: bad input
	// is refused before anything is written.
	if ls := mustRun(t, repo, "pin", "ls"); ls != "" {
		t.Fatalf("a refused add left pins: %q", ls)
	}
}

func TestCLIRepoFromNewerVersion(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "repo")
	mustRun(t, repo, "id")
	if err := os.WriteFile(filepath.Join(repo, "version"), []byte("7\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, repo, nil, "pin", "ls")
	if r.code != exitRepo || !strings.Contains(r.stderr, "newer") {
		t.Fatalf("exit %d, %q; want %d and a word about the newer format", r.code, r.stderr, exitRepo)
	}
}

// daemon is a running `ipfs-tube daemon`.
type daemon struct {
	cmd   *exec.Cmd
	addrs []string
	errb  *bytes.Buffer
}

func startDaemon(t testing.TB, repo string, extra ...string) *daemon {
	t.Helper()
	cmd := exec.Command(binPath, append([]string{"daemon", "--isolated", "--repo", repo}, extra...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	d := &daemon{cmd: cmd, errb: new(bytes.Buffer)}
	cmd.Stderr = d.errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		a, ok := strings.CutPrefix(line, "listening on ")
		if !ok {
			t.Fatalf("daemon printed %q", line)
		}
		d.addrs = append(d.addrs, a)
		if len(d.addrs) == 2 { // TCP and QUIC on 127.0.0.1
			break
		}
	}
	if len(d.addrs) < 2 {
		t.Fatalf("daemon ended before listening: %s", d.errb)
	}
	go io.Copy(io.Discard, out)
	return d
}

func (d *daemon) stop(t testing.TB) {
	t.Helper()
	d.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- d.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("daemon exit: %v: %s", err, d.errb)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("daemon did not stop within 30 s of SIGTERM")
	}
}

func TestDaemonSharesRepoThroughControlAPI(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "repo")
	d := startDaemon(t, repo)
	for _, a := range d.addrs {
		if !strings.HasPrefix(a, "/ip4/127.0.0.1/") || !strings.Contains(a, "/p2p/12D3KooW") {
			t.Fatalf("listen address %q", a)
		}
	}
	// A second daemon is refused with a clear message.
	r := runCLI(t, repo, nil, "daemon")
	if r.code != exitRepo || !strings.Contains(r.stderr, "in use") {
		t.Fatalf("second daemon: exit %d, %q", r.code, r.stderr)
	}
	// One-shot commands go through the daemon.
	p, data := writeRandomFile(t, 2<<20+1)
	c := strings.TrimSpace(mustRun(t, repo, "add", p))
	if got := mustRun(t, repo, "cat", c); got != string(data) {
		t.Fatal("cat through the daemon gave different bytes")
	}
	if ls := mustRun(t, repo, "pin", "ls"); ls != c+" recursive\n" {
		t.Fatalf("pin ls through the daemon: %q", ls)
	}
	// A stream (stdin) goes through the API as the request body; it is
	// big enough that a handler answering before it read the whole body
	// (a bug once) would import a truncated file.
	bigPath, big := writeRandomFile(t, 24<<20+3)
	bigCID := strings.TrimSpace(mustRun(t, repo, "add", bigPath))
	if r := runCLI(t, repo, bytes.NewReader(big), "add", "-"); strings.TrimSpace(r.stdout) != bigCID {
		t.Fatalf("add - through the daemon: %q, %s; want %s", r.stdout, r.stderr, bigCID)
	}
	id := mustRun(t, repo, "id")
	if !strings.Contains(id, d.addrs[0]) {
		t.Fatalf("id through the daemon %q lacks %s", id, d.addrs[0])
	}
	if r := runCLI(t, repo, nil, "cat", randomCID(t), "--timeout", "1s"); r.code != exitNotFound {
		t.Fatalf("not-found through the daemon: exit %d, %q", r.code, r.stderr)
	}
	if r := runCLI(t, repo, nil, "pin", "add", "bafyNOTACID"); r.code != exitUsage {
		t.Fatalf("bad CID through the daemon: exit %d, %q", r.code, r.stderr)
	}
	d.stop(t)
	if _, err := os.Stat(filepath.Join(repo, apiFile)); !os.IsNotExist(err) {
		t.Fatalf("api.json left after shutdown: %v", err)
	}
	// The repo is free again and holds what was added.
	if got := mustRun(t, repo, "cat", c); got != string(data) {
		t.Fatal("cat after the daemon stopped gave different bytes")
	}
}

func TestControlAPIRefusesStrangers(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "repo")
	startDaemon(t, repo)
	var ep apiEndpoint
	raw, err := os.ReadFile(filepath.Join(repo, apiFile))
	if err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(raw, &ep)
	tok, _ := os.ReadFile(filepath.Join(repo, apiTokenFile))
	token := strings.TrimSpace(string(tok))
	if fi, _ := os.Stat(filepath.Join(repo, apiTokenFile)); fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file mode %v, want 0600", fi.Mode().Perm())
	}
	for _, tc := range []struct {
		name   string
		header map[string]string
		status int
	}{
		{"no token", nil, http.StatusForbidden},
		{"wrong token", map[string]string{"Authorization": "Bearer " + strings.Repeat("0", len(token))}, http.StatusForbidden},
		{"web page", map[string]string{"Authorization": "Bearer " + token, "Origin": "https://evil.example"}, http.StatusForbidden},
		{"rebinding", map[string]string{"Authorization": "Bearer " + token, "Host": "evil.example:80"}, http.StatusForbidden},
		{"owner", map[string]string{"Authorization": "Bearer " + token}, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, "http://"+ep.Addr+apiPrefix+"id", nil)
			for k, v := range tc.header {
				if k == "Host" {
					req.Host = v
				} else {
					req.Header.Set(k, v)
				}
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
		})
	}
}
