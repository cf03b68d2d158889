// Package uploadtest gives the tests of library/publish, the window's
// upload view and the app the same real backend: an isolated node and a
// catalog in the test's temporary directory, the publishing service wired
// to them as the app wires it, and test videos under the file names a
// test needs (uploads take their titles from file names).
//
// Usage:
//
//	n, cat := uploadtest.Backend(t)
//	up := uploadtest.Service(n, cat)
//	path := uploadtest.VideoAs(t, testvideo.Spec{Duration: 3 * time.Second}, "Garden_tour.mp4")
//	...
//	if n := uploadtest.CatalogSize(t, cat); n != 1 { ... }
package uploadtest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ipfs/go-cid"

	"github.com/ipfs-tube/ipfs-tube/internal/nodelib"
	"github.com/ipfs-tube/ipfs-tube/internal/probelib"
	"github.com/ipfs-tube/ipfs-tube/internal/testvideo"
	"github.com/ipfs-tube/ipfs-tube/library"
	"github.com/ipfs-tube/ipfs-tube/library/publish"
	"github.com/ipfs-tube/ipfs-tube/node"
)

// Service is the publishing service over n and cat, wired as the app
// wires it (without a quota unless opts give one).
func Service(n *node.Node, cat *library.Catalog, opts ...publish.Option) *publish.Service {
	return publish.New(nodelib.Publish{N: n}, probelib.Prober{}, cat, opts...)
}

// Backend opens a node and a catalog under t.TempDir() and closes them when
// the test ends. The node is never started: importing and publishing work
// on local blocks, and nothing here needs peers.
func Backend(t testing.TB) (*node.Node, *library.Catalog) {
	t.Helper()
	ctx := context.Background()
	n, err := node.New(ctx, node.Config{Repo: filepath.Join(t.TempDir(), "repo"), Isolated: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	cat, err := library.Open(ctx, filepath.Join(t.TempDir(), "library"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cat.Close() })
	return n, cat
}

// VideoAs makes a test video reachable under a chosen file name.
func VideoAs(t testing.TB, spec testvideo.Spec, name string) string {
	t.Helper()
	src := testvideo.Make(t, spec)
	p := filepath.Join(t.TempDir(), name)
	if err := os.Symlink(src, p); err != nil {
		t.Fatal(err)
	}
	return p
}

// CatalogSize is how many videos cat lists.
func CatalogSize(t testing.TB, cat *library.Catalog) int {
	t.Helper()
	page, err := cat.List(context.Background(), library.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return len(page.Videos)
}

// Pins is the set of CIDs n pins.
func Pins(t testing.TB, n *node.Node) map[cid.Cid]bool {
	t.Helper()
	ps, err := n.Pins(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	set := map[cid.Cid]bool{}
	for _, p := range ps {
		set[p.Cid] = true
	}
	return set
}
