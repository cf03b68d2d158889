package main

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	"github.com/ipfs/go-cid"

	"github.com/ipfs-tube/ipfs-tube/library"
)

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
