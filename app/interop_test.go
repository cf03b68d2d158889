package main

import (
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipfs-tube/ipfs-tube/internal/kubotest"
)

// writeSeededFile writes size pseudo-random bytes and returns the path and
// their sha256, without holding the file in memory.
func writeSeededFile(t testing.TB, dir string, seed uint64, size int64) (string, [32]byte) {
	t.Helper()
	p := filepath.Join(dir, fmt.Sprintf("f-%d-%d.bin", seed, size))
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var key [32]byte
	key[0] = byte(seed)
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(rand.NewChaCha8(key), size)); err != nil {
		t.Fatal(err)
	}
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return p, sum
}

// kuboSHA256 runs `ipfs args...` on d and hashes its stdout.
func kuboSHA256(t testing.TB, d *kubotest.Daemon, args ...string) [32]byte {
	t.Helper()
	cmd := exec.Command(d.Bin, args...)
	cmd.Env = append(os.Environ(), "IPFS_PATH="+d.Repo)
	return stdoutSHA256(t, cmd)
}

// cliSHA256 runs ipfs-tube and hashes its stdout.
func cliSHA256(t testing.TB, repo string, args ...string) [32]byte {
	t.Helper()
	return stdoutSHA256(t, exec.Command(binPath, append(args, "--isolated", "--repo", repo)...))
}

// stdoutSHA256 runs cmd and hashes what it writes, without holding it.
func stdoutSHA256(t testing.TB, cmd *exec.Cmd) [32]byte {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	io.Copy(h, out)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%s: %v: %s", strings.Join(cmd.Args, " "), err, stderr.String())
	}
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return sum
}

// TestInteropSameCIDsAsKubo: the file CID is a video's identity, so the
// same bytes must give Kubo's CID under the unixfs-v1-2025 profile, at the
// chunk and tree-level boundaries (1025 MiB+7 needs a second tree level).
func TestInteropSameCIDsAsKubo(t *testing.T) {
	kubo := kubotest.StartDaemon(t)
	repo := filepath.Join(t.TempDir(), "repo")
	dir := t.TempDir()
	const MiB = 1 << 20
	sizes := []int64{0, 1, MiB - 1, MiB, MiB + 1, 1025*MiB + 7}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 3 {
		sizes = append(sizes, rng.Int64N(40*MiB))
	}
	for i, size := range sizes {
		p, _ := writeSeededFile(t, dir, uint64(i), size)
		ours := strings.TrimSpace(mustRun(t, repo, "add", p))
		theirs := kubo.Run(t, "add", "-Q", p)
		if ours != theirs {
			t.Errorf("size %d: ipfs-tube %s, Kubo %s", size, ours, theirs)
		} else {
			t.Logf("size %d: %s", size, ours)
		}
		os.Remove(p) // keep the temp dir small: the big one is 1 GiB
	}
}

// TestInteropBitswapWithKubo moves 256 MiB each way between an ipfs-tube
// daemon and a Kubo daemon over bitswap; each side has its file alone.
func TestInteropBitswapWithKubo(t *testing.T) {
	kubo := kubotest.StartDaemon(t)
	repo := filepath.Join(t.TempDir(), "repo")
	d := startDaemon(t, repo, "--peer", kubo.SwarmAddrs[0])
	dir := t.TempDir()
	const size = 256 << 20

	kuboFile, kuboSum := writeSeededFile(t, dir, 100, size)
	kuboCID := kubo.Run(t, "add", "-Q", kuboFile)
	if got := cliSHA256(t, repo, "cat", kuboCID, "--timeout", "5m"); got != kuboSum {
		t.Fatal("ipfs-tube fetched different bytes from Kubo")
	}

	ourFile, ourSum := writeSeededFile(t, dir, 101, size)
	ourCID := strings.TrimSpace(mustRun(t, repo, "add", ourFile))
	kubo.Run(t, "swarm", "connect", d.addrs[0])
	if got := kuboSHA256(t, kubo, "cat", ourCID); got != ourSum {
		t.Fatal("Kubo fetched different bytes from ipfs-tube")
	}
	d.stop(t)
}
