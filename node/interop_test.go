package node

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/ipfs-tube/ipfs-tube/internal/kubotest"
)

// kuboAddrInfo turns Kubo's reported addresses into an AddrInfo.
func kuboAddrInfo(t testing.TB, d *kubotest.Daemon) peer.AddrInfo {
	t.Helper()
	var addrs []ma.Multiaddr
	for _, s := range d.SwarmAddrs {
		a, err := ma.NewMultiaddr(s)
		if err != nil {
			t.Fatal(err)
		}
		addrs = append(addrs, a)
	}
	infos, err := peer.AddrInfosFromP2pAddrs(addrs...)
	if err != nil || len(infos) != 1 {
		t.Fatalf("kubo addresses %v: %v", d.SwarmAddrs, err)
	}
	return infos[0]
}

// TestInteropKuboFindsOurProviderRecordAndIPNSName: on a DHT made of
// loopback nodes (two Kubo DHT servers and us), Kubo finds us as provider
// of a pinned root and resolves an IPNS name we published.
func TestInteropKuboFindsOurProviderRecordAndIPNSName(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	k1 := kubotest.StartDaemon(t, kubotest.WithRoutingType("dhtserver"))
	k2 := kubotest.StartDaemon(t, kubotest.WithRoutingType("dhtserver"), kubotest.WithBootstrap(k1.SwarmAddrs[0]))
	n := startNode(t, Config{
		Repo:      t.TempDir() + "/repo",
		Isolated:  true,
		Bootstrap: []peer.AddrInfo{kuboAddrInfo(t, k1), kuboAddrInfo(t, k2)},
	})
	waitForLANPeers(t, ctx, n, 2)

	res, err := n.Import(ctx, newRandomReader(21, 3<<20))
	if err != nil {
		t.Fatal(err)
	}
	// Import queued the provide; ask Kubo (k2, which did not get our
	// record necessarily) until the record is there.
	found := false
	for !found && ctx.Err() == nil {
		out, err := k2.RunErr("routing", "findprovs", "--num-providers=1", "--timeout=10s", res.Cid.String())
		found = err == nil && strings.Contains(out, n.ID().String())
	}
	if !found {
		t.Fatalf("Kubo did not find %s as provider of %s", n.ID(), res.Cid)
	}

	name, err := n.PublishName(ctx, res.Cid, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	out := k1.Run(t, "name", "resolve", "--timeout=60s", "/ipns/"+name)
	if out != "/ipfs/"+res.Cid.String() {
		t.Fatalf("Kubo resolved /ipns/%s to %q, want /ipfs/%s", name, out, res.Cid)
	}
}

// waitForLANPeers waits until the LAN DHT's routing table holds want peers
// (they join after identify confirms they speak the DHT protocol).
func waitForLANPeers(t testing.TB, ctx context.Context, n *Node, want int) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for n.net.Load().dht.LAN.RoutingTable().Size() < want {
		select {
		case <-ctx.Done():
			t.Fatalf("LAN DHT has %d peers, want %d", n.net.Load().dht.LAN.RoutingTable().Size(), want)
		case <-tick.C:
		}
	}
}
