// Package nodelib adapts the node to the interfaces the library declares
// for it: the quota keeper's Store, the auto-seeding engine's SeedNode and
// the publishing pipeline's Node (Publish, for library/publish). The app
// and the library's tests share it, so both drive the same code.
//
//	keeper, err := library.NewKeeper(ctx, cat, nodelib.Store{N: n})
//	seeder, err := library.NewAutoSeeder(ctx, cat, keeper, nodelib.Seed{Store: nodelib.Store{N: n}})
package nodelib

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ipfs/go-cid"

	"github.com/ipfs-tube/ipfs-tube/library"
	"github.com/ipfs-tube/ipfs-tube/node"
)

// Store is the node as the quota keeper sees it.
type Store struct{ N *node.Node }

var _ library.Store = Store{}

func (s Store) DiskUsage(context.Context) (int64, error) { return node.DiskUsage(s.N.RepoDir()) }

func (s Store) FreeSpace(context.Context) (int64, int64, error) {
	return node.FreeSpace(s.N.RepoDir())
}

func (s Store) IsPinned(ctx context.Context, c cid.Cid) (bool, error) {
	return s.N.IsPinned(ctx, c)
}

func (s Store) Evict(ctx context.Context, roots ...cid.Cid) (int64, error) {
	res, err := s.N.Evict(ctx, roots...)
	return res.BytesRemoved, diskFull(err)
}

// diskFull makes the node's ErrDiskFull (a write refused at the disk's
// reserve) the library's, so the Keeper and the engine see the disk as
// the cause and say so rather than fail.
func diskFull(err error) error {
	if errors.Is(err, node.ErrDiskFull) && !errors.Is(err, library.ErrDiskFull) {
		return fmt.Errorf("%w: %w", library.ErrDiskFull, err)
	}
	return err
}

// Seed is the node as the auto-seeding engine sees it.
type Seed struct{ Store }

var _ library.SeedNode = Seed{}

// Pin fetches for seeding: the node's download cap applies.
func (s Seed) Pin(ctx context.Context, c cid.Cid) error {
	return diskFull(s.N.Pin(ctx, c, node.PinForSeeding()))
}

func (s Seed) Unpin(ctx context.Context, c cid.Cid) error { return s.N.Unpin(ctx, c) }

func (s Seed) LocalBytes(ctx context.Context, c cid.Cid) (int64, error) {
	ranges, err := s.N.LocalRanges(ctx, c)
	var n int64
	for _, r := range ranges {
		n += r.End - r.Start
	}
	return n, err
}

func (s Seed) FileSize(ctx context.Context, c cid.Cid) (int64, error) {
	f, err := s.N.Open(ctx, c, node.ReadAhead(0), node.OpenForSeeding())
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return f.Size(), nil
}

func (s Seed) IndexVideo(ctx context.Context, c cid.Cid) error { return s.N.IndexVideo(ctx, c) }

func (s Seed) CountProviders(ctx context.Context, c cid.Cid, max int) (int, error) {
	return s.N.CountProviders(ctx, c, max)
}

func (s Seed) Demand() map[cid.Cid]library.VideoDemand {
	out := map[cid.Cid]library.VideoDemand{}
	for c, d := range s.N.Demand() {
		out[c] = library.VideoDemand{Wants: d.Wants, BlocksSent: d.BlocksSent, BytesSent: d.BytesSent, LastWant: d.LastWant}
	}
	return out
}

func (s Seed) Heard() map[cid.Cid]library.HeardVideo {
	out := map[cid.Cid]library.HeardVideo{}
	for c, h := range s.N.Heard() {
		out[c] = library.HeardVideo{Providers: h.Providers, WantsPerSecond: h.WantsPerSecond,
			BytesPerSecond: h.BytesPerSecond, LastHeard: h.LastHeard}
	}
	return out
}

func (s Seed) Announce(ctx context.Context, entries []library.Announcement) error {
	out := make([]node.Announcement, len(entries))
	for i, e := range entries {
		out[i] = node.Announcement{Video: e.Video, Wants: e.Wants, BytesServed: e.BytesServed, Window: e.Window}
	}
	return s.N.Announce(ctx, out)
}

// PinnedFiles opens each recursive pin's root (local: it is pinned) and
// keeps the files; directories, such as a published video's, are skipped.
func (s Seed) PinnedFiles(ctx context.Context, max int) ([]library.PinnedFile, error) {
	pins, err := s.N.Pins(ctx)
	if err != nil {
		return nil, err
	}
	var out []library.PinnedFile
	for _, p := range pins {
		if len(out) >= max {
			break
		}
		if p.Mode != "recursive" {
			continue
		}
		f, err := s.openLocal(ctx, p.Cid)
		if err != nil {
			if ctx.Err() != nil {
				return out, ctx.Err()
			}
			continue // a directory, or not a UnixFS file
		}
		out = append(out, library.PinnedFile{Cid: p.Cid, Size: f.Size()})
		f.Close()
	}
	return out, nil
}

// openLocal opens c, whose root should be local; the bound only keeps a
// root gone missing from costing the round a network search.
func (s Seed) openLocal(ctx context.Context, c cid.Cid) (*node.File, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return s.N.Open(ctx, c, node.ReadAhead(0), node.OpenForSeeding())
}
