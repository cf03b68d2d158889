package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ipfs/go-cid"

	"github.com/ipfs-tube/ipfs-tube/app/internal/libraryview"
	"github.com/ipfs-tube/ipfs-tube/app/internal/link"
	"github.com/ipfs-tube/ipfs-tube/app/internal/playerview"
	"github.com/ipfs-tube/ipfs-tube/app/internal/seedview"
	"github.com/ipfs-tube/ipfs-tube/app/internal/settingsview"
	"github.com/ipfs-tube/ipfs-tube/library"
	"github.com/ipfs-tube/ipfs-tube/node"
)

// maxPosterBytes bounds what a poster read takes from the network: a
// poster is a JPEG of a few hundred kilobytes, anything far larger is not
// one.
const maxPosterBytes = 8 << 20

// guiServices is what the window's views ask of the node, the gateway and
// the catalog, in the shape each view declares. Calls made before the
// node has started wait for it (the window shows before the node is up).
type guiServices struct {
	b   *localBackend
	cat *library.Catalog
	log *slog.Logger

	started  chan struct{} // closed once start has returned
	startErr error         // set before started closes

	evictMu sync.Mutex // one eviction at a time: each walks every pin

	localMu   sync.Mutex
	lastLocal map[cid.Cid]int64 // what noteLocal last stored per video

	// keeper holds the repo within the storage quota; nil in tests that
	// do not need it. playing is the streaming video's reservation.
	keeper  *library.Keeper
	playing playReservation
	// seeding is the seeding engine, which the seeding settings go to;
	// nil in tests that do not need it.
	seeding *library.Seeding
}

var (
	_ playerview.Source           = (*guiServices)(nil)
	_ libraryview.Actions         = (*guiServices)(nil)
	_ libraryview.Providers       = (*guiServices)(nil)
	_ seedview.Source             = (*guiServices)(nil)
	_ settingsview.GatewayRanking = (*guiServices)(nil)
)

func newGUIServices(b *localBackend, cat *library.Catalog, log *slog.Logger) *guiServices {
	return &guiServices{b: b, cat: cat, log: log, started: make(chan struct{}), lastLocal: map[cid.Cid]int64{}}
}

// setStarted records how the node's start ended and releases the waiters.
func (s *guiServices) setStarted(err error) {
	s.startErr = err
	close(s.started)
}

func (s *guiServices) waitStarted(ctx context.Context) error {
	select {
	case <-s.started:
		if s.startErr != nil {
			return fmt.Errorf("the node did not start: %w", s.startErr)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Resolve turns a link into the gateway URL of the video it names, and
// starts fetching the video's ends while the player starts.
func (s *guiServices) Resolve(ctx context.Context, t link.Target) (playerview.Stream, error) {
	if err := s.waitStarted(ctx); err != nil {
		return playerview.Stream{}, err
	}
	c, err := s.b.resolve(ctx, t)
	if err != nil {
		return playerview.Stream{}, err
	}
	v, err := s.b.n.ResolveVideo(ctx, c)
	if err != nil {
		return playerview.Stream{}, err
	}
	gw, err := s.b.gateway()
	if err != nil {
		return playerview.Stream{}, err
	}
	s.playing.reserve(ctx, v.Cid, v.Size-s.localBytes(ctx, v.Cid))
	if err := gw.Prefetch(ctx, v.Cid); err != nil {
		return playerview.Stream{}, err
	}
	title := v.Name
	if v.Metadata != nil && v.Metadata.Title != "" {
		title = v.Metadata.Title
	}
	if title == "" {
		title = shortCID(v.Cid)
	}
	if v.Dir.Defined() || v.Poster.Defined() {
		s.rememberDir(v)
	}
	u := gw.URL(v.Cid)
	// The window plays only through the node's own gateway.
	if err := checkPlayURL(u, true); err != nil {
		return playerview.Stream{}, err
	}
	return playerview.Stream{URL: u, File: v.Cid, Title: title, Size: v.Size}, nil
}

// rememberDir puts what the video's directory says (its link, poster,
// description) into the catalog entry the player creates, so the library
// shows the poster of a video watched from a shared link.
func (s *guiServices) rememberDir(v node.Video) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := s.cat.Upsert(ctx, v.Cid, func(e *library.Video) error {
		if v.Dir.Defined() {
			e.Dir = v.Dir
		}
		if v.Poster.Defined() {
			e.Poster = v.Poster
		}
		if m := v.Metadata; m != nil {
			if e.Title == "" {
				e.Title = m.Title
			}
			if e.Description == "" {
				e.Description = m.Description
			}
		}
		if e.Kept == 0 {
			e.Kept = library.Cache
		}
		return nil
	})
	if err != nil {
		s.log.Warn("catalog: recording the video's directory", "cid", v.Cid, "err", err)
	}
}

// LocalRanges answers the player's seek bar, about once a second while a
// video plays, and keeps the catalog's count of local bytes in step so the
// library's "Cached N%" follows what was watched.
func (s *guiServices) LocalRanges(ctx context.Context, c cid.Cid) ([]node.ByteRange, error) {
	ranges, err := s.b.n.LocalRanges(ctx, c)
	if err != nil {
		return nil, err
	}
	s.noteLocal(ctx, c, rangesBytes(ranges))
	return ranges, nil
}

// noteLocal stores a video's local byte count when it moved by at least
// localStep since it was last stored, or reached the whole file: a catalog
// write per MiB streamed would be noise.
func (s *guiServices) noteLocal(ctx context.Context, c cid.Cid, local int64) {
	const localStep = 4 << 20
	s.localMu.Lock()
	last, seen := s.lastLocal[c]
	s.localMu.Unlock()
	if seen && local == last {
		return
	}
	v, err := s.cat.Get(ctx, c)
	if err != nil {
		return // not in the catalog (yet): the player creates the entry
	}
	if d := local - v.BytesLocal; d < localStep && d > -localStep && local != v.Size {
		return
	}
	if _, err := s.cat.SetBytesLocal(ctx, c, local); err != nil {
		s.log.Warn("catalog: local bytes", "cid", c, "err", err)
		return
	}
	s.localMu.Lock()
	s.lastLocal[c] = local
	s.localMu.Unlock()
}

// Stats sums what the gateway fetched for the player.
func (s *guiServices) Stats(ctx context.Context) (playerview.Stats, error) {
	st, err := s.b.StreamStats(ctx)
	if err != nil {
		return playerview.Stats{}, err
	}
	out := playerview.Stats{BytesLocal: st.BytesLocal, BytesFromPeers: st.BytesFromPeers, BytesFromGateways: st.BytesFromGateways}
	select {
	case <-s.started:
		if s.startErr == nil {
			out.Peers = len(s.b.n.Peers())
		}
	default:
	}
	return out, nil
}

// Poster reads a poster image, bounded in size.
func (s *guiServices) Poster(ctx context.Context, poster cid.Cid) ([]byte, error) {
	return s.b.n.ReadAll(ctx, poster, maxPosterBytes)
}

// CountProviders counts the other nodes the DHT knows for a video (the
// library's badge on own uploads), once the node is online.
func (s *guiServices) CountProviders(ctx context.Context, c cid.Cid, max int) (int, error) {
	if err := s.waitStarted(ctx); err != nil {
		return 0, err
	}
	return s.b.n.CountProviders(ctx, c, max)
}

// Pin keeps the whole video (and its directory, so a shared link keeps
// working) and records that in the catalog.
func (s *guiServices) Pin(ctx context.Context, video cid.Cid) error {
	if err := s.waitStarted(ctx); err != nil {
		return err
	}
	v, err := s.cat.Get(ctx, video)
	if err != nil {
		return err
	}
	if err := pinVideo(ctx, s.b.n, s.cat, v); err != nil {
		return err
	}
	return s.recount(ctx, video)
}

// Unpin stops keeping the video for its own sake; an own upload stays
// pinned, the cache keeps it until it is removed or evicted.
func (s *guiServices) Unpin(ctx context.Context, video cid.Cid) error {
	v, err := s.cat.Get(ctx, video)
	if err != nil {
		return err
	}
	if v.Kept&library.OwnUpload == 0 {
		if err := s.unpinVideo(ctx, v); err != nil {
			return err
		}
	}
	_, err = s.cat.Update(ctx, video, func(e *library.Video) error {
		e.Kept = e.Kept&^library.Pinned | library.Cache
		return nil
	})
	return err
}

// RemoveFromCache deletes the video's blocks from this machine, pinned or
// not (the library asks the user first), and keeps its catalog entry with
// nothing local, so the history and the link stay.
func (s *guiServices) RemoveFromCache(ctx context.Context, video cid.Cid) error {
	v, err := s.cat.Get(ctx, video)
	if err != nil {
		return err
	}
	if err := s.unpinVideo(ctx, v); err != nil {
		return err
	}
	s.evictMu.Lock()
	res, err := s.b.n.Evict(ctx, video)
	s.evictMu.Unlock()
	if err != nil {
		return err
	}
	s.log.Info("removed from cache", "cid", video, "bytes", res.BytesRemoved)
	s.localMu.Lock()
	delete(s.lastLocal, video)
	s.localMu.Unlock()
	_, err = s.cat.Update(ctx, video, func(e *library.Video) error {
		e.Kept &^= library.Pinned | library.Cache | library.OwnUpload
		e.BytesLocal = 0
		return nil
	})
	return err
}

func (s *guiServices) unpinVideo(ctx context.Context, v library.Video) error {
	for _, c := range []cid.Cid{v.Cid, v.Dir} {
		if !c.Defined() {
			continue
		}
		pinned, err := s.b.n.IsPinned(ctx, c)
		if err != nil {
			return err
		}
		if pinned {
			if err := s.b.n.Unpin(ctx, c); err != nil {
				return fmt.Errorf("unpin %s: %w", c, err)
			}
		}
	}
	return nil
}

// recount stores how many of the video's bytes are local.
func (s *guiServices) recount(ctx context.Context, video cid.Cid) error {
	_, err := s.LocalRanges(ctx, video)
	return err
}

// Used is the repo's disk use as the quota counts it (du).
func (s *guiServices) Used(ctx context.Context) (int64, error) {
	return node.DiskUsage(s.b.n.RepoDir())
}

// localBytes is how much of video is on this machine already.
func (s *guiServices) localBytes(ctx context.Context, video cid.Cid) int64 {
	ranges, err := s.b.n.LocalRanges(ctx, video)
	if err != nil {
		return 0
	}
	return rangesBytes(ranges)
}

func rangesBytes(ranges []node.ByteRange) int64 {
	var n int64
	for _, r := range ranges {
		n += r.End - r.Start
	}
	return n
}

// Seeded lists what is kept for others (library.Reason.Seeded: own
// uploads, pins and what the auto-seeding engine picked), each with the
// catalog's reason in the page's words. Bytes served per video come from
// the node's demand counts once the video is indexed (0 before).
func (s *guiServices) Seeded(ctx context.Context) ([]seedview.Entry, error) {
	page, err := s.cat.List(ctx, library.ListOptions{Sort: library.SortRecentlyAdded})
	if err != nil {
		return nil, err
	}
	demand := s.b.n.Demand()
	out := make([]seedview.Entry, 0, len(page.Videos))
	for _, v := range page.Videos {
		reason := v.Reason()
		if !reason.Seeded() {
			continue
		}
		out = append(out, seedview.Entry{Video: v.Cid, Title: v.Title, Reason: seedviewReason(reason), Size: v.BytesLocal,
			BytesServed: demand[v.Cid].BytesSent})
	}
	return out, nil
}

// seedviewReason says a seeded video's reason as the Seeding page does.
func seedviewReason(r library.Reason) string {
	switch r {
	case library.ReasonOwn:
		return seedview.ReasonUpload
	case library.ReasonPinned:
		return seedview.ReasonPinned
	case library.ReasonAutoSeeded:
		return seedview.ReasonPopular
	}
	return r.String()
}

// GatewayRanking is the fallback's measured ranking for the Settings page.
func (s *guiServices) GatewayRanking() []settingsview.GatewayRank {
	var out []settingsview.GatewayRank
	for _, r := range s.b.n.GatewayRanking() {
		out = append(out, settingsview.GatewayRank{URL: r.URL, Score: r.Score, Latency: r.Latency, SuccessRate: r.SuccessRate, State: r.State})
	}
	return out
}

// BytesUploaded is what the node has sent to peers since it started.
func (s *guiServices) BytesUploaded() int64 { return s.b.n.BytesUploaded() }

func shortCID(c cid.Cid) string {
	s := c.String()
	if len(s) > 16 {
		return s[:8] + "…" + s[len(s)-6:]
	}
	return s
}
