package main

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multiaddr"

	"github.com/ipfs-tube/ipfs-tube/node"
)

// Issue 14: a daemon without --auto-seed serves what `ipfs-tube add`
// imported and must tell the network, or no volunteer ever learns the
// video is watched. Its engine runs with seeding off and announces the
// added file (a pin the catalog does not know) on gossip, where a peer
// hears it.
func TestDaemonAnnouncesCLIAddedVideo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	listener, err := node.New(ctx, node.Config{Repo: filepath.Join(t.TempDir(), "listener"), Isolated: true})
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	if err := listener.Start(ctx); err != nil {
		t.Fatal(err)
	}
	p2p, err := multiaddr.NewComponent("p2p", listener.ID().String())
	if err != nil {
		t.Fatal(err)
	}
	listenerAddr := listener.Addrs()[0].Encapsulate(p2p)

	repo := filepath.Join(t.TempDir(), "publisher")
	file := filepath.Join(t.TempDir(), "video.bin")
	data := make([]byte, 3<<20)
	rand.Read(data)
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, repo, nil, "add", file)
	if r.code != 0 {
		t.Fatalf("add: exit %d: %s", r.code, r.stderr)
	}
	video, err := cid.Decode(strings.TrimSpace(r.stdout))
	if err != nil {
		t.Fatalf("add printed %q: %v", r.stdout, err)
	}

	d := startDaemon(t, repo, "--peer", listenerAddr.String())
	start := time.Now()
	// The engine's first round runs at start and the next a minute later:
	// one of them reaches the listener.
	deadline := start.Add(100 * time.Second)
	for listener.Heard()[video].Providers == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the daemon never announced the added video: heard %+v; daemon log:\n%s", listener.Heard(), d.errb)
		}
		<-time.After(50 * time.Millisecond)
	}
	t.Logf("heard the daemon announce the added video %v after its start", time.Since(start).Round(time.Millisecond))
	d.stop(t)
}
