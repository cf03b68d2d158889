package main

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	"github.com/ipfs/go-cid"

	"github.com/ipfs-tube/ipfs-tube/library"
	"github.com/ipfs-tube/ipfs-tube/node"
)

// nodeStore is the node as the quota keeper sees it.
type nodeStore struct{ n *node.Node }

var _ library.Store = nodeStore{}

func (s nodeStore) DiskUsage(context.Context) (int64, error) { return node.DiskUsage(s.n.RepoDir()) }

func (s nodeStore) FreeSpace(context.Context) (int64, int64, error) {
	return node.FreeSpace(s.n.RepoDir())
}

func (s nodeStore) IsPinned(ctx context.Context, c cid.Cid) (bool, error) {
	return s.n.IsPinned(ctx, c)
}

func (s nodeStore) Evict(ctx context.Context, roots ...cid.Cid) (int64, error) {
	res, err := s.n.Evict(ctx, roots...)
	return res.BytesRemoved, err
}

// playReservation holds the quota reservation of the video the player
// streams: one video plays at a time, so a new one releases the last.
type playReservation struct {
	keeper *library.Keeper
	log    *slog.Logger

	mu      sync.Mutex
	release func()
}

// reserve makes room for what is missing of video before it streams.
// Playback is the user's own: when the quota cannot make room it plays
// anyway (blocks must land somewhere to be shown) and the keeper's
// enforcement evicts afterwards; the reason is logged.
func (r *playReservation) reserve(ctx context.Context, video cid.Cid, missing int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.release != nil {
		r.release()
		r.release = nil
	}
	if r.keeper == nil || missing <= 0 {
		return
	}
	release, err := r.keeper.Reserve(ctx, missing, library.ForVideo(video))
	switch {
	case errors.Is(err, library.ErrQuota), errors.Is(err, library.ErrDiskFull):
		r.log.Warn("playing without a reservation", "cid", video, "bytes", missing, "err", err)
	case err != nil:
		r.log.Warn("quota reservation", "cid", video, "err", err)
	default:
		r.release = release
	}
}

// close releases the last reservation.
func (r *playReservation) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.release != nil {
		r.release()
		r.release = nil
	}
}

// seedNode is the node as the auto-seeding engine sees it.
type seedNode struct{ nodeStore }

var _ library.SeedNode = seedNode{}

func (s seedNode) Pin(ctx context.Context, c cid.Cid) error   { return s.n.Pin(ctx, c) }
func (s seedNode) Unpin(ctx context.Context, c cid.Cid) error { return s.n.Unpin(ctx, c) }

func (s seedNode) LocalBytes(ctx context.Context, c cid.Cid) (int64, error) {
	ranges, err := s.n.LocalRanges(ctx, c)
	return rangesBytes(ranges), err
}

func (s seedNode) FileSize(ctx context.Context, c cid.Cid) (int64, error) {
	f, err := s.n.Open(ctx, c, node.ReadAhead(0))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return f.Size(), nil
}

func (s seedNode) IndexVideo(ctx context.Context, c cid.Cid) error { return s.n.IndexVideo(ctx, c) }

func (s seedNode) CountProviders(ctx context.Context, c cid.Cid, max int) (int, error) {
	return s.n.CountProviders(ctx, c, max)
}

func (s seedNode) Demand() map[cid.Cid]library.VideoDemand {
	out := map[cid.Cid]library.VideoDemand{}
	for c, d := range s.n.Demand() {
		out[c] = library.VideoDemand{Wants: d.Wants, BlocksSent: d.BlocksSent, BytesSent: d.BytesSent, LastWant: d.LastWant}
	}
	return out
}

func (s seedNode) Heard() map[cid.Cid]library.HeardVideo {
	out := map[cid.Cid]library.HeardVideo{}
	for c, h := range s.n.Heard() {
		out[c] = library.HeardVideo{Providers: h.Providers, Wants: h.Wants, BytesServed: h.BytesServed, LastHeard: h.LastHeard}
	}
	return out
}

func (s seedNode) Announce(ctx context.Context, entries []library.Announcement) error {
	out := make([]node.Announcement, len(entries))
	for i, e := range entries {
		out[i] = node.Announcement{Video: e.Video, Wants: e.Wants, BytesServed: e.BytesServed}
	}
	return s.n.Announce(ctx, out)
}
