package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/ipfs/go-cid"

	"github.com/ipfs-tube/ipfs-tube/library"
	"github.com/ipfs-tube/ipfs-tube/node"
)

// pinVideo is the one meaning of pinning a video, shared by the window's
// Pin and the CLI's `pin add`: the file and its directory (so a shared
// link keeps working) are pinned, and the catalog records the video as
// pinned, which the quota keeper counts and never evicts.
func pinVideo(ctx context.Context, n *node.Node, cat *library.Catalog, v library.Video) error {
	roots := []cid.Cid{v.Cid}
	if v.Dir.Defined() {
		roots = append(roots, v.Dir)
	}
	for _, c := range roots {
		if err := n.Pin(ctx, c); err != nil {
			return fmt.Errorf("pin %s: %w", c, err)
		}
	}
	if _, err := cat.SetKept(ctx, v.Cid, library.Pinned, true); err != nil {
		return fmt.Errorf("pin %s: %w", v.Cid, err)
	}
	return nil
}

// withCatalog runs fn on the holder's catalog or, for a one-off command,
// on the repo's (<repo>/library), opened for the call.
func (b *localBackend) withCatalog(ctx context.Context, fn func(cat *library.Catalog) error) error {
	if b.cat != nil {
		return fn(b.cat)
	}
	b.pubs.mu.Lock()
	cat := b.pubs.ownCat
	b.pubs.mu.Unlock()
	if cat != nil {
		return fn(cat)
	}
	cat, err := library.Open(ctx, catalogDir(b.n.RepoDir()))
	if err != nil {
		return fmt.Errorf("open the library: %w", err)
	}
	return errors.Join(fn(cat), cat.Close())
}

// catalogVideo finds the catalog's video for c, which the node has just
// pinned: c's own record, or, when c is a video directory, its file's
// (made from the directory's metadata when the catalog does not know the
// video). ok is false for anything else: that stays a plain pin.
func (b *localBackend) catalogVideo(ctx context.Context, cat *library.Catalog, c cid.Cid) (v library.Video, ok bool, err error) {
	v, err = cat.Get(ctx, c)
	if err == nil {
		return v, true, nil
	}
	if !errors.Is(err, library.ErrNotFound) {
		return v, false, err
	}
	vid, err := b.n.ResolveVideo(ctx, c)
	if err != nil || !vid.Dir.Defined() {
		// Not a video directory (a bare file, or anything else): the
		// catalog holds videos it knows something about.
		return library.Video{}, false, nil
	}
	v, err = cat.Upsert(ctx, vid.Cid, func(e *library.Video) error {
		if !e.Dir.Defined() {
			e.Dir, e.Poster = vid.Dir, vid.Poster
		}
		if e.Title == "" && vid.Metadata != nil && len(vid.Metadata.Title) <= library.MaxTitleBytes {
			e.Title = vid.Metadata.Title
		}
		if e.Size == 0 {
			e.Size = vid.Size
		}
		// Pinning fetched the whole file.
		e.BytesLocal = max(e.BytesLocal, vid.Size)
		return nil
	})
	return v, err == nil, err
}

// recordPin makes `pin add` mean what the window's Pin means, for a
// video the catalog knows or a video directory.
func (b *localBackend) recordPin(ctx context.Context, c cid.Cid) error {
	return b.withCatalog(ctx, func(cat *library.Catalog) error {
		v, ok, err := b.catalogVideo(ctx, cat, c)
		if err != nil || !ok {
			return err
		}
		return pinVideo(ctx, b.n, cat, v)
	})
}

// recordUnpin makes `pin rm` mean what the window's Unpin means: the
// video is no longer kept for its own sake (its other root is unpinned
// too, unless it is an own upload), and the cache keeps it until it is
// evicted.
func (b *localBackend) recordUnpin(ctx context.Context, c cid.Cid) error {
	return b.withCatalog(ctx, func(cat *library.Catalog) error {
		v, err := cat.Get(ctx, c)
		if errors.Is(err, library.ErrNotFound) {
			vid, rerr := b.n.ResolveVideo(ctx, c)
			if rerr != nil || !vid.Dir.Defined() {
				return nil
			}
			v, err = cat.Get(ctx, vid.Cid)
		}
		if errors.Is(err, library.ErrNotFound) || (err == nil && !v.Kept.Has(library.Pinned)) {
			return nil
		}
		if err != nil {
			return err
		}
		if !v.Kept.Has(library.OwnUpload) {
			for _, r := range []cid.Cid{v.Cid, v.Dir} {
				if pinned, err := b.n.IsPinned(ctx, r); err == nil && pinned && r.Defined() {
					if err := b.n.Unpin(ctx, r); err != nil {
						return fmt.Errorf("unpin %s: %w", r, err)
					}
				}
			}
		}
		_, err = cat.Update(ctx, v.Cid, func(e *library.Video) error {
			e.Kept = e.Kept&^library.Pinned | library.Cache
			return nil
		})
		return err
	})
}
