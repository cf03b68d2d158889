package main

import (
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ipfs-tube/ipfs-tube/internal/kubotest"
)

// BenchmarkVsKubo is `make bench`: import and fetch of 1 GiB, ipfs-tube
// against Kubo v0.41.0, medians of 3, printed side by side. Run it with
// -benchtime 1x; every iteration does the whole comparison.
func BenchmarkVsKubo(b *testing.B) {
	const size = 1 << 30
	const runs = 3
	dir := b.TempDir()
	file, want := writeSeededFile(b, dir, 42, size)

	for range b.N {
		hashMiBs := medianMiBs(size, runs, func() time.Duration {
			start := time.Now()
			f, err := os.Open(file)
			if err != nil {
				b.Fatal(err)
			}
			h := sha256.New()
			io.Copy(h, f)
			f.Close()
			return time.Since(start)
		})

		var ourCID, kuboCID string
		ourImport := medianMiBs(size, runs, func() time.Duration {
			repo := filepath.Join(dir, "import-repo")
			d := startDaemon(b, repo)
			start := time.Now()
			ourCID = strings.TrimSpace(mustRun(b, repo, "add", file))
			took := time.Since(start)
			d.stop(b)
			os.RemoveAll(repo)
			return took
		})
		kuboImport := medianMiBs(size, runs, func() time.Duration {
			k := kubotest.StartDaemon(b)
			start := time.Now()
			kuboCID = k.Run(b, "add", "-Q", file)
			took := time.Since(start)
			k.Stop()
			os.RemoveAll(k.Repo)
			return took
		})
		if ourCID != kuboCID {
			b.Fatalf("CIDs differ: ipfs-tube %s, Kubo %s", ourCID, kuboCID)
		}

		// Fetch: a seeder and a fetcher, connected before timing starts;
		// the fetcher collects garbage between runs so every run fetches.
		seedRepo := filepath.Join(b.TempDir(), "seed")
		seeder := startDaemon(b, seedRepo)
		mustRun(b, seedRepo, "add", file)
		fetchRepo := filepath.Join(b.TempDir(), "fetch")
		fetcher := startDaemon(b, fetchRepo, "--peer", seeder.addrs[0])
		ourFetch := medianMiBs(size, runs, timedFetch(b, want,
			func() [32]byte { return cliSHA256(b, fetchRepo, "cat", ourCID) },
			func() { mustRun(b, fetchRepo, "gc") }))
		fetcher.stop(b)
		seeder.stop(b)

		k1 := kubotest.StartDaemon(b)
		k1.Run(b, "add", "-Q", file)
		k2 := kubotest.StartDaemon(b)
		k2.Run(b, "swarm", "connect", k1.SwarmAddrs[0])
		kuboFetch := medianMiBs(size, runs, timedFetch(b, want,
			func() [32]byte { return kuboSHA256(b, k2, "cat", kuboCID) },
			func() { k2.Run(b, "repo", "gc") }))

		fmt.Printf("\n1 GiB, medians of %d runs, MiB/s (higher is better)\n", runs)
		fmt.Printf("%-34s %10s %10s %8s\n", "", "ipfs-tube", "Kubo", "ratio")
		fmt.Printf("%-34s %10.0f %10.0f %7.2fx\n", "import (add, daemon running)", ourImport, kuboImport, ourImport/kuboImport)
		fmt.Printf("%-34s %10.0f %10.0f %7.2fx\n", "fetch over bitswap (cat, loopback)", ourFetch, kuboFetch, ourFetch/kuboFetch)
		fmt.Printf("%-34s %10.0f\n", "sha256 of the same file (Go)", hashMiBs)
		fmt.Printf("CID %s\n\n", ourCID)
		b.ReportMetric(ourImport, "import-MiB/s")
		b.ReportMetric(kuboImport, "kubo-import-MiB/s")
		b.ReportMetric(ourFetch, "fetch-MiB/s")
		b.ReportMetric(kuboFetch, "kubo-fetch-MiB/s")
	}
}

// timedFetch times fetch, checks what it hashed, then runs collect (a GC
// on the fetcher, untimed) so the next run fetches again.
func timedFetch(b *testing.B, want [32]byte, fetch func() [32]byte, collect func()) func() time.Duration {
	return func() time.Duration {
		start := time.Now()
		got := fetch()
		took := time.Since(start)
		if got != want {
			b.Fatal("fetched bytes differ from the file")
		}
		collect()
		return took
	}
}

// medianMiBs runs f runs times and returns the median throughput. Dirty
// pages left by earlier runs are flushed first, so no run pays for another
// run's write-back.
func medianMiBs(size int64, runs int, f func() time.Duration) float64 {
	var rates []float64
	for range runs {
		syscall.Sync()
		rates = append(rates, float64(size)/(1<<20)/f().Seconds())
	}
	slices.Sort(rates)
	return rates[len(rates)/2]
}
