package node

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	ma "github.com/multiformats/go-multiaddr"
)

// TestCountProvidersFindsPinners: of three connected nodes, two hold a
// video pinned (the creator and a volunteer); the third counts 2
// providers, the creator counts 1 (itself excluded), max bounds the
// count, and a CID nobody provides counts 0 once the lookup ends.
func TestCountProvidersFindsPinners(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	creator, volunteer, viewer := newTestNode(t), newTestNode(t), newTestNode(t)
	for _, pair := range [][2]*Node{{volunteer, creator}, {viewer, creator}, {viewer, volunteer}} {
		if err := pair[0].Connect(ctx, addrInfoOver(t, pair[1], ma.P_TCP)); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []*Node{creator, volunteer, viewer} {
		waitForLANPeers(t, ctx, n, 2)
	}
	video, err := creator.Import(ctx, newRandomReader(81, 2<<20+7)) // pins and provides
	if err != nil {
		t.Fatal(err)
	}
	if err := volunteer.Pin(ctx, video.Cid); err != nil {
		t.Fatal(err)
	}

	count := func(n *Node, max int) int {
		cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
		defer ccancel()
		got, err := n.CountProviders(cctx, video.Cid, max)
		if err != nil {
			t.Logf("count providers: %d, %v", got, err)
		}
		return got
	}
	start := time.Now()
	pollUntil(t, "the viewer to count 2 providers", func() bool { return count(viewer, 10) == 2 })
	t.Logf("viewer counted 2 providers %v after the volunteer's pin", time.Since(start))
	pollUntil(t, "the creator to count 1 provider besides itself", func() bool { return count(creator, 10) == 1 })
	if got := count(viewer, 10); got != 2 {
		t.Errorf("viewer counts %d providers, want 2", got)
	}
	if got := count(viewer, 1); got != 1 {
		t.Errorf("viewer counts %d providers with max 1, want 1", got)
	}

	start = time.Now()
	nobody := dagPBCid(t, "provided by nobody")
	got, err := viewer.CountProviders(ctx, nobody, 5)
	if err != nil || got != 0 {
		t.Errorf("CountProviders of an unprovided CID = %d, %v; want 0, nil", got, err)
	}
	t.Logf("lookup of an unprovided CID ended after %v", time.Since(start))

	// An ended context gives what was found, with the context's error.
	dead, deadCancel := context.WithCancel(ctx)
	deadCancel()
	if _, err := viewer.CountProviders(dead, dagPBCid(t, "never asked"), 5); err == nil {
		t.Error("CountProviders with an ended context returned no error")
	}
}

func TestCountProvidersNeedsStart(t *testing.T) {
	ctx := context.Background()
	n, err := New(ctx, Config{Repo: filepath.Join(t.TempDir(), "repo"), Isolated: true})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if _, err := n.CountProviders(ctx, dagPBCid(t, "x"), 3); err == nil {
		t.Fatal("CountProviders before Start succeeded")
	}
}
