package node

import (
	"context"
	"fmt"
	"strings"

	bsfetcher "github.com/ipfs/boxo/fetcher/impl/blockservice"
	"github.com/ipfs/boxo/path"
	"github.com/ipfs/boxo/path/resolver"
	"github.com/ipfs/go-cid"
	"github.com/ipfs/go-unixfsnode"
	dagpb "github.com/ipld/go-codec-dagpb"
)

// ResolvePath follows a slash-separated path of UnixFS directory entries
// (HAMT-sharded directories included) below root and returns the CID it
// names. It is one walk: past MaxWalkBlocks it fails with ErrDAGTooLarge.
func (n *Node) ResolvePath(ctx context.Context, root cid.Cid, subpath string) (cid.Cid, error) {
	ctx, release := boundWalk(ctx)
	defer release()
	subpath = strings.Trim(subpath, "/")
	if subpath == "" {
		return root, nil
	}
	p, err := path.Join(path.FromCid(root), strings.Split(subpath, "/")...)
	if err != nil {
		return cid.Undef, fmt.Errorf("resolve %s/%s: %w", root, subpath, err)
	}
	ip, err := path.NewImmutablePath(p)
	if err != nil {
		return cid.Undef, fmt.Errorf("resolve %s: %w", p, err)
	}
	fc := bsfetcher.NewFetcherConfig(n.blockService())
	fc.PrototypeChooser = dagpb.AddSupportToChooser(bsfetcher.DefaultPrototypeChooser)
	r := resolver.NewBasicResolver(fc.WithReifier(unixfsnode.Reify))
	c, _, err := r.ResolveToLastNode(ctx, ip)
	if err != nil {
		return cid.Undef, fmt.Errorf("resolve %s: %w", p, walkError(ctx, err))
	}
	return c, nil
}
