package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/ipfs-tube/ipfs-tube/internal/testvideo"
	"github.com/ipfs-tube/ipfs-tube/node"
	"github.com/ipfs-tube/ipfs-tube/playback"
)

// TestPlayContinuesFromGatewaysWhenPeersVanish: a viewer plays a video
// from its only peer, with a trustless gateway (another node holding the
// same video) as fallback. The peer goes away mid-stream; playback goes on
// from the gateway without a visible stall.
func TestPlayContinuesFromGatewaysWhenPeersVanish(t *testing.T) {
	ctx := context.Background()
	path := testvideo.Make(t, testvideo.Spec{Container: "mp4", Duration: 30 * time.Second, VideoBitrate: "8M"})

	newNode := func(gateways ...string) *node.Node {
		n, err := node.New(ctx, node.Config{Repo: filepath.Join(t.TempDir(), "repo"), Isolated: true, Gateways: gateways})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { n.Close() })
		if err := n.Start(ctx); err != nil {
			t.Fatal(err)
		}
		return n
	}
	origin := newNode() // behind the gateway, never a peer of the viewer
	c := importFile(t, origin, path)
	h, err := origin.TrustlessHandler()
	if err != nil {
		t.Fatal(err)
	}
	// Until the peer has delivered, the gateway answers late: on a loaded
	// machine it could otherwise win every race from the start, and the
	// peer would have nothing to vanish from. (2 s stays inside the
	// fetcher's 5 s bound for a first byte.)
	peerDelivered := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-peerDelivered:
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)

	seeder := newNode()
	importFile(t, seeder, path)
	viewer := newNode(srv.URL)
	if err := viewer.Connect(ctx, peer.AddrInfo{ID: seeder.ID(), Addrs: seeder.Addrs()}); err != nil {
		t.Fatal(err)
	}
	// Little read-ahead anywhere, so most of the video is still to fetch
	// when the peer goes.
	gw, err := viewer.StartGateway(ctx, node.GatewayReadAhead(2<<20))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gw.Close() })
	w := newWatcher()
	p := newTestPlayer(t, w, playback.WithCache(2<<20, 1<<20))
	if err := p.Load(ctx, gw.URL(c)); err != nil {
		t.Fatal(err)
	}
	const limit = 60 * time.Second
	w.wait(t, "two seconds played, some of it from the peer", limit, func(w *watcher) bool {
		return w.st.Position > 2 && gw.Stats().BytesFromPeers > 0
	})
	close(peerDelivered)
	before := gw.Stats()
	// The fetcher's own count: a block read ahead by one response and
	// read by the next counts as local in the File stats.
	gatewayBefore := viewer.GatewayBytes()[srv.URL]
	seeder.Close()
	w.mu.Lock()
	w.maxGap, w.lastFrame = 0, time.Time{}
	from := w.st.Position
	w.mu.Unlock()
	// Eight more seconds, and at least 2 MiB of them from the gateway: what
	// the player and the gateway had read ahead, and what the peer still
	// sent while it closed, may cover the first seconds on a loaded machine.
	w.wait(t, "eight more seconds played, 2 MiB of them from the gateway", limit, func(w *watcher) bool {
		return w.st.Position > from+8 && viewer.GatewayBytes()[srv.URL]-gatewayBefore >= 2<<20
	})

	after := gw.Stats()
	fromGateway := viewer.GatewayBytes()[srv.URL] - gatewayBefore
	w.mu.Lock()
	gap := w.maxGap
	w.mu.Unlock()
	t.Logf("after the peer left: %d bytes from the gateway (%d in the gateway's file stats), %d from peers; largest frame gap %v",
		fromGateway, after.BytesFromGateways-before.BytesFromGateways, after.BytesFromPeers-before.BytesFromPeers, gap)
	if got := fromGateway; got < 2<<20 {
		t.Errorf("only %d bytes from the gateway after the peer left, want the video's next seconds", got)
	}
	if gap > 500*time.Millisecond {
		t.Errorf("largest gap between frames after the peer left: %v, want ≤ 500 ms", gap)
	}
}
