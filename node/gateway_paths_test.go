package node

import (
	"context"
	"net/http"
	"testing"

	"github.com/ipfs/go-cid"
)

// TestGatewayRefusesDotSegments: a path is checked in the form boxo will
// use, so "/ipfs/../ipns/…" cannot pass as an /ipfs/ path and nothing is
// fetched for it; clean paths, with or without a trailing slash, work.
func TestGatewayRefusesDotSegments(t *testing.T) {
	ctx := context.Background()
	p := newGatewayPair(t)
	c := importRandom(t, p.seeder, 91, 1<<20)
	dir := makeDir(t, p.seeder, false, map[string]cid.Cid{"clip.mp4": c})
	base := "http://" + p.gw.Addr() + "/" + p.gw.token
	name := p.seeder.ID().String()

	refused := []string{
		"/ipfs/../ipfs/" + c.String(),
		"/ipfs/../ipns/" + name,
		"/ipfs/x/../../ipns/" + name,
		"/ipfs/%2e%2e/ipns/" + name,
		"/ipfs/%2E%2E/ipfs/" + c.String(),
		"/ipfs/./" + c.String(),
		"/ipfs//" + c.String(),
		"/ipfs/" + dir.String() + "/../" + c.String(),
		"/ipfs/" + dir.String() + "/./clip.mp4",
		"/ipfs/..",
	}
	for _, path := range refused {
		resp, body := p.do(t, "GET", base+path, "")
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %s (%d bytes), want 404", path, resp.Status, len(body))
		}
	}
	st := p.gw.Stats()
	if st.Refused != int64(len(refused)) || st.Files != 0 || st.BlocksFetched != 0 {
		t.Fatalf("after dot-segment requests: %+v, want %d refused and nothing fetched", st, len(refused))
	}
	for _, k := range []cid.Cid{c, dir} {
		if has, _ := p.viewer.blockstore.Has(ctx, k); has {
			t.Fatalf("a refused request fetched %s", k)
		}
	}

	for _, path := range []string{"/ipfs/" + c.String(), "/ipfs/" + dir.String() + "/", "/ipfs/" + dir.String() + "/clip.mp4"} {
		resp, body := p.do(t, "GET", base+path, "bytes=0-9")
		if resp.StatusCode != http.StatusPartialContent || len(body) != 10 {
			t.Errorf("%s: %s, %d bytes, want 206 with 10", path, resp.Status, len(body))
		}
	}
}

func TestIsCleanIPFSPath(t *testing.T) {
	for p, want := range map[string]bool{
		"/ipfs/bafy":          true,
		"/ipfs/bafy/":         true,
		"/ipfs/bafy/a/b.mp4":  true,
		"/ipfs/bafy/a/":       true,
		"/ipfs/":              false,
		"/ipfs":               false,
		"/ipns/x":             false,
		"/ipfs/../ipns/x":     false,
		"/ipfs/bafy/..":       false,
		"/ipfs/bafy/.":        false,
		"/ipfs/bafy//a":       false,
		"/ipfs/bafy/a//":      false,
		"/ipfs/./bafy":        false,
		"/ipfs/bafy/..a/b..":  true, // dots inside a name are a name
		"/ipfs/bafy/.hidden":  true,
		"//ipfs/bafy":         false,
		"/ipfs/bafy/a/../../": false,
	} {
		if got := isCleanIPFSPath(p); got != want {
			t.Errorf("isCleanIPFSPath(%q) = %v, want %v", p, got, want)
		}
	}
}
