package node

import (
	"context"
	"fmt"
	"net/http"

	"github.com/ipfs/boxo/gateway"

	"github.com/ipfs-tube/ipfs-tube/node/gwfetch"
)

// GatewayRank is one gateway of the HTTP fallback as the node measures it:
// score, latency, throughput, success rate and state, best first.
type GatewayRank = gwfetch.Rank

// startGateways builds the HTTP fallback from cfg.Gateways; nil when the
// list is empty (fallback off).
func startGateways(ctx context.Context, cfg Config, n *Node) (*gwfetch.Fetcher, error) {
	if len(cfg.Gateways) == 0 {
		return nil, nil
	}
	f, err := gwfetch.New(ctx, cfg.Gateways, gwfetch.WithLogger(n.log.With("component", "gateways")))
	if err != nil {
		return nil, fmt.Errorf("gateways: %w", err)
	}
	return f, nil
}

// GatewayRanking lists the fallback gateways best first; nil when the
// fallback is off.
func (n *Node) GatewayRanking() []GatewayRank {
	if on := n.net.Load(); on != nil && on.gateways != nil {
		return on.gateways.Ranking()
	}
	return nil
}

// GatewayBytes is the verified block bytes each gateway delivered since
// the node started, by URL; nil when the fallback is off.
func (n *Node) GatewayBytes() map[string]int64 {
	if on := n.net.Load(); on != nil && on.gateways != nil {
		return on.gateways.BytesFrom()
	}
	return nil
}

// TrustlessHandler serves this node's local blocks over HTTP the way a
// trustless gateway does (GET /ipfs/CID with ?format=raw or ?format=car),
// so other nodes can use it as a fallback gateway. It never fetches: what
// is not local answers 404 or a gateway error. What it serves counts
// against the upload cap, like bitswap.
func (n *Node) TrustlessHandler() (http.Handler, error) {
	backend, err := gateway.NewBlocksBackend(n.offlineServ)
	if err != nil {
		return nil, fmt.Errorf("trustless handler: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/ipfs/", newGatewayHandler(gateway.Config{}, backend))
	return n.capUploads(mux), nil
}
