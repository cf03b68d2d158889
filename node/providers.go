package node

import (
	"context"
	"fmt"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"
)

// DefaultProviderCount is how many providers CountProviders looks for when
// asked for max ≤ 0: past a handful, a video is well replicated and more
// precision costs DHT queries for nothing.
const DefaultProviderCount = 20

// CountProviders estimates how many peers other than this node provide c,
// from provider records in the DHT (the ones this node holds and the ones
// the peers closest to c return). It stops at max providers, or when the
// lookup ends. When ctx ends first it returns those found so far with
// ctx's error: a lower bound, still worth showing.
//
// Pin provides what it pins, so a volunteer's or creator's copy shows up
// here for others once the provide has gone out (a few seconds).
func (n *Node) CountProviders(ctx context.Context, c cid.Cid, max int) (int, error) {
	on := n.net.Load()
	if on == nil {
		return 0, fmt.Errorf("count providers %s: node not started", c)
	}
	if max <= 0 {
		max = DefaultProviderCount
	}
	self := on.host.ID()
	// One more than max: this node may be among them, and 0 would mean
	// "all there are" to the DHT.
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	found := map[peer.ID]struct{}{}
	for p := range on.dht.FindProvidersAsync(lctx, c, max+1) {
		if p.ID == self || p.ID == "" {
			continue
		}
		found[p.ID] = struct{}{}
		if len(found) >= max {
			break // cancel ends the lookup and closes the channel
		}
	}
	if len(found) < max {
		if err := ctx.Err(); err != nil {
			return len(found), fmt.Errorf("count providers %s: %w", c, err)
		}
	}
	return len(found), nil
}
