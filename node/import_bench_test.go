package node

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	ma "github.com/multiformats/go-multiaddr"
)

// BenchmarkImport imports a 256 MiB file from disk into a fresh repo, the
// way `ipfs-tube add` does without a daemon.
func BenchmarkImport(b *testing.B) {
	const size = 256 << 20
	path := filepath.Join(b.TempDir(), "f")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(f, newRandomReader(1, size))
	f.Close()
	b.SetBytes(size)
	for b.Loop() {
		b.StopTimer()
		n, err := New(context.Background(), Config{Repo: filepath.Join(b.TempDir(), "repo"), Isolated: true})
		if err != nil {
			b.Fatal(err)
		}
		in, _ := os.Open(path)
		b.StartTimer()
		if _, err := n.Import(context.Background(), in); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		in.Close()
		n.Close()
		b.StartTimer()
	}
}

// BenchmarkFetch moves a 512 MiB file between two connected loopback nodes
// and reads it in order, as `cat` does.
func BenchmarkFetch(b *testing.B) {
	const size = 512 << 20
	ctx := context.Background()
	seeder := newTestNode(b)
	res, err := seeder.Import(ctx, newRandomReader(2, size))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	for b.Loop() {
		b.StopTimer()
		fetcher := newTestNode(b)
		if err := fetcher.Connect(ctx, addrInfoOver(b, seeder, ma.P_TCP)); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		f, err := fetcher.Open(ctx, res.Cid)
		if err != nil {
			b.Fatal(err)
		}
		if n, err := io.Copy(io.Discard, f); err != nil || n != size {
			b.Fatalf("read %d bytes: %v", n, err)
		}
		b.StopTimer()
		f.Close()
		fetcher.Close()
		b.StartTimer()
	}
}
