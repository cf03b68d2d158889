package node

import (
	"context"
	"io"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	ma "github.com/multiformats/go-multiaddr"
)

// trustlessGateway serves n's blocks the way a public gateway does (boxo's
// handler: ?format=raw and CAR), on loopback.
func trustlessGateway(t *testing.T, n *Node) string {
	t.Helper()
	h, err := n.TrustlessHandler()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// viewerWithGateways starts an isolated node whose fallback is gateways.
func viewerWithGateways(t *testing.T, gateways ...string) *Node {
	t.Helper()
	return startNode(t, Config{Repo: filepath.Join(t.TempDir(), "repo"), Isolated: true, Gateways: gateways})
}

// readAll reads a whole file, checks its hash and returns its stats.
func readAll(t *testing.T, f *File, err error, want [32]byte) ReadStats {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := sha256Of(t, f); got != want {
		t.Fatalf("%s read back differs", f.Cid())
	}
	return f.Stats()
}

func TestHybridNoPeersFetchesFromGateway(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	seeder := newTestNode(t)
	const size = 6<<20 + 7
	res, err := seeder.Import(ctx, newRandomReader(21, size))
	if err != nil {
		t.Fatal(err)
	}
	gw := trustlessGateway(t, seeder)
	viewer := viewerWithGateways(t, gw)

	f, err := viewer.Open(ctx, res.Cid)
	st := readAll(t, f, err, sha256Of(t, newRandomReader(21, size)))
	if st.BytesFromGateways < size || st.BytesFromPeers != 0 {
		t.Errorf("stats %+v: want every byte from the gateway, none from peers", st)
	}
	if got := viewer.GatewayBytes()[gw]; got < size {
		t.Errorf("gateway %s credited with %d bytes, want ≥ %d", gw, got, size)
	}
	// Blocks from a gateway are kept like any other: the file is local now.
	ranges, err := viewer.LocalRanges(ctx, res.Cid)
	if err != nil {
		t.Fatal(err)
	}
	if len(ranges) != 1 || ranges[0].Start != 0 || ranges[0].End != size {
		t.Errorf("local ranges after reading %v, want all %d bytes", ranges, size)
	}
}

func TestHybridPrefersPeers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	seeder := newTestNode(t)
	const size = 6 << 20
	res, err := seeder.Import(ctx, newRandomReader(22, size))
	if err != nil {
		t.Fatal(err)
	}
	gw := trustlessGateway(t, seeder)
	viewer := viewerWithGateways(t, gw)

	// No peer yet: the first megabytes come from the gateway.
	f, err := viewer.Open(ctx, res.Cid)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := io.CopyN(io.Discard, f, 2<<20); err != nil {
		t.Fatal(err)
	}
	before := f.Stats()
	if before.BytesFromGateways == 0 {
		t.Fatalf("no peer, yet nothing from the gateway: %+v", before)
	}
	// A peer appears mid-stream: bytes shift back to bitswap.
	if err := viewer.Connect(ctx, addrInfoOver(t, seeder, ma.P_TCP)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, f); err != nil {
		t.Fatal(err)
	}
	after := f.Stats()
	peers := after.BytesFromPeers - before.BytesFromPeers
	gateways := after.BytesFromGateways - before.BytesFromGateways
	t.Logf("after the peer connected: %d bytes from peers, %d from the gateway", peers, gateways)
	if peers < 3*gateways || peers < 2<<20 {
		t.Errorf("after the peer connected: %d bytes from peers, %d from the gateway; want peers to carry most", peers, gateways)
	}
}
