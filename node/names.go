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

// ErrDNSLinkIsolated is what resolving a DNSLink name fails with on an
// isolated node: isolated means no traffic beyond loopback, and a DNSLink
// lookup asks the system's resolver, which asks the network.
var ErrDNSLinkIsolated = errors.New("DNSLink lookups are off in isolated mode")

// nameSystemOptions configures IPNS and DNSLink resolution: IPNS records
// live in the node's datastore; an isolated node refuses DNSLink names
// before any DNS query.
func (n *Node) nameSystemOptions() []namesys.Option {
	opts := []namesys.Option{namesys.WithDatastore(n.ds)}
	if n.cfg.Isolated {
		opts = append(opts, namesys.WithDNSResolverWithTTL(refuseDNSLink))
	}
	return opts
}

// refuseDNSLink stands in for the TXT lookup of DNSLink on isolated nodes.
func refuseDNSLink(_ context.Context, name string) ([]string, time.Duration, error) {
	return nil, 0, fmt.Errorf("TXT %s: %w", name, ErrDNSLinkIsolated)
}

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
