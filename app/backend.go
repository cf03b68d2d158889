package main

import (
	"context"
	"fmt"
	"io"
	"os"
	gopath "path"
	"sync"

	"github.com/ipfs/boxo/path"
	blocks "github.com/ipfs/go-block-format"
	"github.com/ipfs/go-cid"

	"github.com/ipfs-tube/ipfs-tube/app/internal/link"
	"github.com/ipfs-tube/ipfs-tube/library"
	"github.com/ipfs-tube/ipfs-tube/node"
)

// backend is what CLI commands need, served either by a node this process
// opened or, through the control API, by the process holding the repo.
type backend interface {
	// Add imports src, reporting bytes done and the total (-1 unknown).
	// A regular file that is a video is also published and recorded as
	// an own upload (library/publish).
	Add(ctx context.Context, src addSource, progress func(done, total int64)) (addResult, error)
	// Cat opens the file t names; the reader's size is returned with it.
	Cat(ctx context.Context, t link.Target) (io.ReadCloser, int64, error)
	PinAdd(ctx context.Context, t link.Target) (cid.Cid, error)
	PinRm(ctx context.Context, t link.Target) (cid.Cid, error)
	PinLs(ctx context.Context) ([]node.PinInfo, error)
	GC(ctx context.Context) (node.GCResult, error)
	ID(ctx context.Context) (idInfo, error)
	// Stream returns the URL of the loopback gateway a player opens to
	// play the video t names (a file, or a directory holding one).
	Stream(ctx context.Context, t link.Target) (string, error)
	// StreamStats sums what the gateway has fetched for players so far.
	StreamStats(ctx context.Context) (node.GatewayStats, error)
	// Gateways is the HTTP fallback's ranking, best first.
	Gateways(ctx context.Context) ([]node.GatewayRank, error)
	// Seeding reports the storage quota and what it holds.
	Seeding(ctx context.Context) (seedingReport, error)
	Close() error
}

// addSource is what to import: a regular file by absolute path (which the
// repo holder reads itself, saving a copy through the control API), or a
// stream such as stdin.
type addSource struct {
	path string
	r    io.Reader
	size int64 // -1 when unknown
}

// idInfo is what `id` prints.
type idInfo struct {
	ID           string   `json:"id"`
	Addrs        []string `json:"addrs"`
	Reachability string   `json:"reachability"`
	Peers        int      `json:"peers"`
}

// localBackend runs commands on a node this process holds.
type localBackend struct {
	n *node.Node
	// cat and keeper are the catalog and quota keeper of a long-running
	// holder (daemon, app); nil for a one-off command, which opens the
	// catalog when it needs it. quota is the quota to report then.
	cat    *library.Catalog
	keeper *library.Keeper
	quota  int64
	// seeding is the seeding engine of a long-running holder (caps,
	// pause, hours, whether it failed); nil for a one-off command.
	seeding *library.Seeding
	// pubs is the publishing service adds go through.
	pubs publishing

	gwMu     sync.Mutex
	gw       *node.Gateway // started by the first Stream
	gwClosed bool
}

var _ backend = (*localBackend)(nil)

func (b *localBackend) Add(ctx context.Context, src addSource, progress func(done, total int64)) (addResult, error) {
	r := src.r
	if src.path != "" {
		f, err := openRegular(src.path)
		if err != nil {
			return addResult{}, err
		}
		defer f.Close()
		return b.addFile(ctx, src.path, f, progress)
	}
	opts := []node.ImportOption{node.ImportProgress(progress), node.ImportAccept(func(res node.ImportResult) error {
		// A stream that ends short of the announced size is an error, and
		// a request given up is no success: neither leaves a pin.
		if src.path == "" && src.size >= 0 && res.Size != src.size {
			return fmt.Errorf("add: received %d of %d bytes", res.Size, src.size)
		}
		return ctx.Err()
	})}
	if src.size >= 0 {
		opts = append(opts, node.ImportSize(src.size))
	}
	res, err := b.n.Import(ctx, r, opts...)
	return addResult{ImportResult: res}, err
}

// openRegular opens a regular file for import. A FIFO or a device would
// block the open or the reads (a holder thread stuck for good per
// request), so the path is checked first, opened without waiting for a
// writer, and what was opened checked again: the path may have changed in
// between.
func openRegular(path string) (*os.File, error) {
	if fi, err := os.Stat(path); err != nil {
		return nil, usageError{err}
	} else if !fi.Mode().IsRegular() {
		return nil, usagef("%s: not a regular file", path)
	}
	f, err := os.OpenFile(path, os.O_RDONLY|openNonBlock, 0)
	if err != nil {
		return nil, usageError{err}
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, usagef("%s: not a regular file", path)
	}
	return f, nil
}

// resolve turns a target into the CID of what it names.
func (b *localBackend) resolve(ctx context.Context, t link.Target) (cid.Cid, error) {
	c := t.Cid
	if t.IPNS != "" {
		p, err := b.n.ResolveName(ctx, t.IPNS)
		if err != nil {
			return cid.Undef, err
		}
		ip, err := path.NewImmutablePath(p)
		if err != nil {
			return cid.Undef, fmt.Errorf("%s resolves to %s: %w", t, p, err)
		}
		c = ip.RootCid()
		if segs := ip.Segments(); len(segs) > 2 {
			t.Path = gopath.Join(append(segs[2:], t.Path)...)
		}
	}
	if t.Path == "" {
		return c, nil
	}
	return b.n.ResolvePath(ctx, c, t.Path)
}

func (b *localBackend) Cat(ctx context.Context, t link.Target) (io.ReadCloser, int64, error) {
	c, err := b.resolve(ctx, t)
	if err != nil {
		return nil, 0, err
	}
	f, err := b.n.Open(ctx, c)
	if err != nil {
		return nil, 0, err
	}
	return f, f.Size(), nil
}

// FileOf resolves t to the file it names and its size (the control API's
// CAR answer to cat).
func (b *localBackend) FileOf(ctx context.Context, t link.Target) (cid.Cid, int64, error) {
	c, err := b.resolve(ctx, t)
	if err != nil {
		return cid.Undef, 0, err
	}
	f, err := b.n.Open(ctx, c, node.ReadAhead(0))
	if err != nil {
		return cid.Undef, 0, err
	}
	defer f.Close()
	return c, f.Size(), nil
}

// WalkFile emits the blocks of file c depth-first (node.WalkFile).
func (b *localBackend) WalkFile(ctx context.Context, c cid.Cid, emit func(blocks.Block) error) error {
	return b.n.WalkFile(ctx, c, emit)
}

func (b *localBackend) PinAdd(ctx context.Context, t link.Target) (cid.Cid, error) {
	c, err := b.resolve(ctx, t)
	if err != nil {
		return cid.Undef, err
	}
	if err := b.n.Pin(ctx, c); err != nil {
		return c, err
	}
	return c, b.recordPin(ctx, c)
}

func (b *localBackend) PinRm(ctx context.Context, t link.Target) (cid.Cid, error) {
	c, err := b.resolve(ctx, t)
	if err != nil {
		return cid.Undef, err
	}
	if err := b.n.Unpin(ctx, c); err != nil {
		return c, err
	}
	return c, b.recordUnpin(ctx, c)
}

func (b *localBackend) PinLs(ctx context.Context) ([]node.PinInfo, error) { return b.n.Pins(ctx) }

func (b *localBackend) GC(ctx context.Context) (node.GCResult, error) { return b.n.GC(ctx) }

func (b *localBackend) ID(context.Context) (idInfo, error) {
	info := idInfo{ID: b.n.ID().String(), Peers: len(b.n.Peers()), Reachability: reachabilityWords(b.n.Reachability())}
	for _, a := range b.n.Addrs() {
		info.Addrs = append(info.Addrs, a.String())
	}
	return info, nil
}

func (b *localBackend) Stream(ctx context.Context, t link.Target) (string, error) {
	c, err := b.resolve(ctx, t)
	if err != nil {
		return "", err
	}
	v, err := b.n.ResolveVideo(ctx, c)
	if err != nil {
		return "", err
	}
	gw, err := b.gateway()
	if err != nil {
		return "", err
	}
	// The ends are on the way while the player starts.
	if err := gw.Prefetch(ctx, v.Cid); err != nil {
		return "", err
	}
	return gw.URL(v.Cid), nil
}

func (b *localBackend) StreamStats(context.Context) (node.GatewayStats, error) {
	b.gwMu.Lock()
	defer b.gwMu.Unlock()
	if b.gw == nil {
		return node.GatewayStats{}, nil
	}
	return b.gw.Stats(), nil
}

// gateway starts the loopback gateway on first use: most commands never
// play anything.
func (b *localBackend) gateway() (*node.Gateway, error) {
	b.gwMu.Lock()
	defer b.gwMu.Unlock()
	if b.gw == nil {
		gw, err := b.n.StartGateway(context.Background())
		if err != nil {
			return nil, err
		}
		b.gw = gw
	}
	return b.gw, nil
}

// closeGateway stops the gateway, waiting for its responses to finish, so
// StreamStats counts them all. The counts stay readable.
func (b *localBackend) closeGateway() {
	b.gwMu.Lock()
	defer b.gwMu.Unlock()
	if b.gw != nil && !b.gwClosed {
		b.gw.Close()
		b.gwClosed = true
	}
}

func (b *localBackend) Close() error {
	b.closeGateway()
	if err := b.closePublishing(); err != nil {
		b.n.Close()
		return fmt.Errorf("close the library: %w", err)
	}
	if err := b.n.Close(); err != nil {
		return fmt.Errorf("close node: %w", err)
	}
	return nil
}
