package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"

	"github.com/ipfs/go-cid"

	"github.com/ipfs-tube/ipfs-tube/internal/nodelib"
	"github.com/ipfs-tube/ipfs-tube/internal/probelib"
	"github.com/ipfs-tube/ipfs-tube/library"
	"github.com/ipfs-tube/ipfs-tube/library/publish"
	"github.com/ipfs-tube/ipfs-tube/node"
)

// addResult is what `add` made of a file: its import and, when the file
// is a video, the directory it was published as.
type addResult struct {
	node.ImportResult
	Dir   cid.Cid // cid.Undef when the file was only imported
	Title string  // the own upload's title; empty when not published
}

// publishing is a backend's publishing service (library/publish), made on
// first use. A holder (app, daemon) shares one between the window and
// the CLI's adds, over its catalog and quota keeper; a one-off command
// opens the repo's catalog for it and closes it with the backend.
type publishing struct {
	mu     sync.Mutex
	svc    *publish.Service
	ownCat *library.Catalog // opened by a one-off command; nil otherwise
}

// publisher returns the backend's publishing service; the holder's
// catalog and keeper must be set.
func (b *localBackend) publisher(log *slog.Logger) *publish.Service {
	b.pubs.mu.Lock()
	defer b.pubs.mu.Unlock()
	if b.pubs.svc == nil {
		b.pubs.svc = newPublisher(b.n, b.cat, b.keeper, log)
	}
	return b.pubs.svc
}

// newPublisher wires the publishing service to the node, libmpv, the
// catalog and the quota keeper (nil: nothing reserved).
func newPublisher(n *node.Node, cat *library.Catalog, keeper *library.Keeper, log *slog.Logger) *publish.Service {
	opts := []publish.Option{publish.WithLogger(log)}
	if keeper != nil {
		opts = append(opts, publish.WithReserver(keeper))
	}
	return publish.New(nodelib.Publish{N: n}, probelib.Prober{Log: log}, cat, opts...)
}

// addPublisher is the service an add goes through: the holder's, or for
// a one-off command one over the repo's catalog (<repo>/library) with a
// keeper at the quota the command was given.
func (b *localBackend) addPublisher(ctx context.Context) (*publish.Service, error) {
	b.pubs.mu.Lock()
	defer b.pubs.mu.Unlock()
	if b.pubs.svc != nil {
		return b.pubs.svc, nil
	}
	cat, keeper := b.cat, b.keeper
	if cat == nil {
		var err error
		if cat, err = library.Open(ctx, catalogDir(b.n.RepoDir())); err != nil {
			return nil, fmt.Errorf("open the library: %w", err)
		}
		b.pubs.ownCat = cat
	}
	if keeper == nil {
		var err error
		if keeper, err = library.NewKeeper(ctx, cat, nodelib.Store{N: b.n}, library.WithQuota(b.quota)); err != nil {
			return nil, fmt.Errorf("storage quota: %w", err)
		}
	}
	b.pubs.svc = newPublisher(b.n, cat, keeper, slog.Default())
	return b.pubs.svc, nil
}

// closePublishing closes a catalog a one-off add opened.
func (b *localBackend) closePublishing() error {
	b.pubs.mu.Lock()
	defer b.pubs.mu.Unlock()
	if b.pubs.ownCat == nil {
		return nil
	}
	err := b.pubs.ownCat.Close()
	b.pubs.ownCat, b.pubs.svc = nil, nil
	return err
}

// addFile imports the regular file f (at path) through the publishing
// service: a video is also published and recorded as an own upload, any
// other file only imported and pinned.
func (b *localBackend) addFile(ctx context.Context, path string, f *os.File, progress func(done, total int64)) (addResult, error) {
	fi, err := f.Stat()
	if err != nil {
		return addResult{}, fmt.Errorf("add %s: %w", path, err)
	}
	svc, err := b.addPublisher(ctx)
	if err != nil {
		return addResult{}, fmt.Errorf("add %s: %w", path, err)
	}
	res, err := svc.Add(ctx, path, f, fi.Size(), func(p publish.Progress) {
		if progress != nil && p.Phase >= publish.PhaseImporting {
			progress(p.Done, p.Total)
		}
	})
	if err != nil {
		if errors.Is(err, library.ErrQuota) || errors.Is(err, library.ErrDiskFull) {
			return addResult{}, fmt.Errorf("%w (%s)", err, publish.Message(err))
		}
		return addResult{}, err
	}
	return addResult{ImportResult: node.ImportResult{Cid: res.File, Size: res.Size}, Dir: res.Dir, Title: res.Title}, nil
}
