// Package kubotest runs a real Kubo (the reference IPFS implementation) as a
// peer in tests, so that interoperability and benchmark claims are checked
// against the implementation the rest of the network runs, not against
// ourselves. It is test support, not part of the product.
//
// Kubo is built from the Go module proxy on first use and cached outside the
// repository, so a fresh checkout pays the build (a couple of minutes) once
// per machine, and concurrent test binaries share one build.
//
// # Usage
//
//	func TestFetchFromKubo(t *testing.T) {
//		k := kubotest.StartDaemon(t)
//		cid := k.Run(t, "add", "-Q", "--cid-version=1", path)
//		// connect our node to k.SwarmAddrs, fetch cid, compare bytes...
//	}
//
// Set IPFS_TUBE_KUBO to the path of an existing ipfs binary to skip the build.
package kubotest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// Version is the Kubo release the tests interoperate with. v0.41.0 is the
// newest that builds from the module proxy: later releases replace go-libp2p
// with a fork the proxy does not serve.
const Version = "v0.41.0"

const (
	kuboModule = "github.com/ipfs/kubo"
	// EnvBinary names an existing ipfs binary to use instead of building one.
	EnvBinary = "IPFS_TUBE_KUBO"
)

// buildMu serializes builds within one process; the file lock in
// ensureBuilt does the same across the test binaries that go test runs in
// parallel.
var buildMu sync.Mutex

// Binary returns the path of a Kubo Version ipfs binary, building it first
// if needed, and fails t if none can be had.
func Binary(t testing.TB) string {
	t.Helper()
	p, err := BinaryPath(context.Background())
	if err != nil {
		t.Fatalf("kubotest.Binary: %v", err)
	}
	return p
}

// BinaryPath is Binary for callers without a testing.TB, such as the
// Makefile's pre-build step. It honours IPFS_TUBE_KUBO, then the cache, and
// builds into the cache otherwise.
func BinaryPath(ctx context.Context) (string, error) {
	if p := os.Getenv(EnvBinary); p != "" {
		if err := checkExecutable(p); err != nil {
			return "", fmt.Errorf("%s: %w", EnvBinary, err)
		}
		return p, nil
	}
	out, err := CachePath()
	if err != nil {
		return "", err
	}
	if checkExecutable(out) == nil {
		return out, nil
	}
	buildMu.Lock()
	defer buildMu.Unlock()
	if err := ensureBuilt(ctx, out); err != nil {
		return "", err
	}
	return out, nil
}

// CachePath is where the built binary lives: under the user cache directory,
// so that `git clean` and fresh clones do not throw away minutes of build.
func CachePath() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("kubotest: cache dir: %w", err)
	}
	name := "ipfs"
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	return filepath.Join(dir, "ipfs-tube", "kubo-"+Version, name), nil
}

func checkExecutable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() || (runtime.GOOS != "windows" && fi.Mode().Perm()&0o111 == 0) {
		return fmt.Errorf("%s is not an executable file", p)
	}
	return nil
}

func ensureBuilt(ctx context.Context, out string) error {
	dir := filepath.Dir(out)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("kubotest: %w", err)
	}
	unlock, err := lockFile(filepath.Join(dir, "build.lock"))
	if err != nil {
		return fmt.Errorf("kubotest: lock: %w", err)
	}
	defer unlock()
	// Another process may have finished the build while we waited.
	if checkExecutable(out) == nil {
		return nil
	}

	// Same directory as out, so the final rename is atomic and readers never
	// see a half-written binary.
	tmp, err := os.CreateTemp(dir, filepath.Base(out)+".tmp-*")
	if err != nil {
		return fmt.Errorf("kubotest: %w", err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name())

	start := time.Now()
	slog.Info("kubotest: building Kubo (first use on this machine; takes a few minutes)", "version", Version, "out", out)
	if err := buildKubo(ctx, tmp.Name()); err != nil {
		return err
	}
	if v, err := exec.CommandContext(ctx, tmp.Name(), "version").Output(); err != nil {
		return fmt.Errorf("kubotest: built binary does not run: %w", err)
	} else if !strings.Contains(string(v), strings.TrimPrefix(Version, "v")) {
		return fmt.Errorf("kubotest: built binary reports %q, want %s", strings.TrimSpace(string(v)), Version)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return fmt.Errorf("kubotest: %w", err)
	}
	slog.Info("kubotest: built Kubo", "version", Version, "took", time.Since(start).Round(time.Second))
	return nil
}

// buildKubo compiles cmd/ipfs inside the downloaded module. `go install
// module@version` refuses Kubo because its go.mod has exclude directives;
// building in the module directory with -mod=mod honours them and needs no
// write access there, since Kubo's go.sum is complete.
func buildKubo(ctx context.Context, out string) error {
	// Run outside any module or workspace so the caller's go.mod (ours) is
	// neither consulted nor edited.
	work, err := os.MkdirTemp("", "kubotest-build-")
	if err != nil {
		return fmt.Errorf("kubotest: %w", err)
	}
	defer os.RemoveAll(work)

	env := goEnv("GOFLAGS=", "GOWORK=off")
	dl := exec.CommandContext(ctx, "go", "mod", "download", "-json", kuboModule+"@"+Version)
	dl.Dir, dl.Env = work, env
	var stderr bytes.Buffer
	dl.Stderr = &stderr
	js, err := dl.Output()
	var mod struct{ Dir, Error string }
	if jerr := json.Unmarshal(js, &mod); jerr == nil && mod.Error != "" {
		return fmt.Errorf("kubotest: go mod download %s@%s: %s", kuboModule, Version, mod.Error)
	}
	if err != nil {
		return fmt.Errorf("kubotest: go mod download %s@%s: %w: %s", kuboModule, Version, err, stderr.Bytes())
	}
	if mod.Dir == "" {
		return errors.New("kubotest: go mod download reported no module directory")
	}

	// The caller's GOFLAGS may carry tags or -race meant for our own code.
	build := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/ipfs")
	build.Dir = mod.Dir
	build.Env = goEnv("GOFLAGS=-mod=mod -buildvcs=false", "GOWORK=off")
	if b, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("kubotest: go build Kubo in %s: %w\n%s", mod.Dir, err, b)
	}
	return nil
}

// goEnv is the current environment with the given KEY=value pairs replacing
// any existing settings of those keys.
func goEnv(set ...string) []string {
	drop := make(map[string]bool, len(set))
	for _, kv := range set {
		k, _, _ := strings.Cut(kv, "=")
		drop[k] = true
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !drop[k] {
			env = append(env, kv)
		}
	}
	return append(env, set...)
}
