package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/ipfs-tube/ipfs-tube/node"
)

// chachaReader yields size pseudo-random bytes.
type chachaReader struct {
	rng  *rand.ChaCha8
	left int64
}

func (r *chachaReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	r.rng.Read(p)
	r.left -= int64(len(p))
	return len(p), nil
}

// procStatus reads one "kB" field of /proc/self/status, in bytes.
func procStatus(t testing.TB, field string) int64 {
	t.Helper()
	n, err := procStatusBytes(field)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// rssSampler watches resident memory while bytes stream through it.
type rssSampler struct {
	t       testing.TB
	w       io.Writer
	n, next int64
	peak    int64
	// anon and file split the peak: heap and stacks vs mapped files.
	anon, file int64
}

func (s *rssSampler) Write(p []byte) (int, error) {
	s.n += int64(len(p))
	if s.n >= s.next {
		if rss := procStatus(s.t, "VmRSS"); rss > s.peak {
			s.peak = rss
			s.anon, s.file = procStatus(s.t, "RssAnon"), procStatus(s.t, "RssFile")
		}
		s.next = s.n + 64<<20
	}
	return s.w.Write(p)
}

// Streaming 4 GiB from a peer through the gateway must not grow this
// process's resident memory with the file: the read-ahead window, Badger's
// caches and trimmed mappings bound it. The seeder is another process, so
// what is measured is the viewer alone.
func TestStreamLarge4GiBKeepsMemoryBounded(t *testing.T) {
	if raceEnabled {
		t.Skip("too slow under the race detector; make test runs it in its second pass, without -race")
	}
	const size = 4 << 30
	const allowed = 200 << 20

	seedRepo := filepath.Join(t.TempDir(), "seed")
	seeder := startDaemon(t, seedRepo)
	src := &chachaReader{rng: rand.NewChaCha8([32]byte{4}), left: size}
	want := sha256.New()
	r := runCLI(t, seedRepo, io.TeeReader(src, want), "add", "-")
	if r.code != 0 {
		t.Fatalf("seeding 4 GiB: exit %d: %s", r.code, r.stderr)
	}
	c, err := cid.Decode(strings.TrimSpace(r.stdout))
	if err != nil {
		t.Fatalf("add printed %q", r.stdout)
	}

	ctx := context.Background()
	viewer, err := node.New(ctx, node.Config{Repo: filepath.Join(t.TempDir(), "viewer"), Isolated: true})
	if err != nil {
		t.Fatal(err)
	}
	defer viewer.Close()
	if err := viewer.Start(ctx); err != nil {
		t.Fatal(err)
	}
	ai, err := peer.AddrInfoFromP2pAddr(ma.StringCast(seeder.addrs[0]))
	if err != nil {
		t.Fatal(err)
	}
	if err := viewer.Connect(ctx, *ai); err != nil {
		t.Fatal(err)
	}
	gw, err := viewer.StartGateway(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()

	// Reset the peak (VmHWM) so it covers the stream only.
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		t.Fatalf("reset peak RSS: %v", err)
	}
	before := procStatus(t, "VmRSS")
	resp, err := http.Get(gw.URL(c))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got := sha256.New()
	sampler := &rssSampler{t: t, w: got}
	n, err := io.Copy(sampler, resp.Body)
	if err != nil || n != size {
		t.Fatalf("streamed %d of %d bytes: %v", n, size, err)
	}
	if !bytes.Equal(got.Sum(nil), want.Sum(nil)) {
		t.Fatal("streamed bytes differ from the seeded ones")
	}
	peak := max(sampler.peak, procStatus(t, "VmHWM"))
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("Go heap: in use %d MiB, from the OS %d MiB, total from the OS %d MiB, GC cycles %d", ms.HeapInuse>>20, ms.HeapSys>>20, ms.Sys>>20, ms.NumGC)
	t.Logf("RSS before %d MiB, peak %d MiB (growth %d MiB; at the sampled peak %d MiB anonymous, %d MiB files); stats %+v",
		before>>20, peak>>20, (peak-before)>>20, sampler.anon>>20, sampler.file>>20, gw.Stats())
	if growth := peak - before; growth > allowed {
		t.Errorf("streaming 4 GiB grew resident memory by %d MiB, want < %d MiB", growth>>20, allowed>>20)
	}
}
