package node

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ipfs/boxo/namesys"
	"github.com/ipfs/boxo/path"
	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"
)

// PublishName points the node's own IPNS name (its peer ID) at c and puts
// the record in the DHT. It returns the name.
func (n *Node) PublishName(ctx context.Context, c cid.Cid, lifetime time.Duration) (string, error) {
	on := n.net.Load()
	if on == nil {
		return "", errors.New("publish name: node not started")
	}
	if lifetime <= 0 {
		lifetime = 48 * time.Hour
	}
	p := path.FromCid(c)
	if err := on.names.Publish(ctx, n.repo.key, p, namesys.PublishWithEOL(time.Now().Add(lifetime))); err != nil {
		return "", fmt.Errorf("publish name: %w", err)
	}
	return peer.ToCid(n.ID()).String(), nil
}

// ResolveName resolves an IPNS name (or DNSLink domain) to an /ipfs/ path.
func (n *Node) ResolveName(ctx context.Context, name string) (path.Path, error) {
	on := n.net.Load()
	if on == nil {
		return nil, errors.New("resolve name: node not started")
	}
	p, err := path.NewPath("/ipns/" + name)
	if err != nil {
		return nil, fmt.Errorf("resolve name %q: %w", name, err)
	}
	res, err := on.names.Resolve(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("resolve name %q: %w", name, err)
	}
	return res.Path, nil
}
