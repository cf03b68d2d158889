package library

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/ipfs/go-cid"
)

// announce publishes the videos this node serves with the demand seen
// over the announcement window; it returns how many it listed.
func (a *AutoSeeder) announce(ctx context.Context, now time.Time, videos map[cid.Cid]Video, demand map[cid.Cid]VideoDemand) int {
	var entries []Announcement
	served := map[cid.Cid]bool{}
	for c, v := range videos {
		if v.Kept&(OwnUpload|Pinned|AutoSeeded) == 0 {
			continue
		}
		if v.Kept&(OwnUpload|Pinned) == 0 && v.BytesLocal == 0 {
			continue // an auto-seeded fetch not finished yet
		}
		served[c] = true
		entries = append(entries, a.windowDemand(now, c, demand[c]))
	}
	for c := range a.announced {
		if !served[c] {
			delete(a.announced, c)
		}
	}
	if len(entries) == 0 {
		return 0
	}
	// The busiest first: when the list is cut, what matters most stays.
	slices.SortFunc(entries, func(x, y Announcement) int {
		return cmp.Or(cmp.Compare(y.BytesServed, x.BytesServed), cmp.Compare(y.Wants, x.Wants),
			cmp.Compare(x.Video.KeyString(), y.Video.KeyString()))
	})
	entries = entries[:min(len(entries), maxAnnounced)]
	if err := a.node.Announce(ctx, entries); err != nil {
		a.log.Info("announcing served videos", "videos", len(entries), "err", err)
		return 0
	}
	return len(entries)
}

// demandSample is a video's cumulative demand counters as a round saw them.
type demandSample struct {
	at           time.Time
	wants, bytes int64
}

// maxAnnouncedSpan bounds the span an announcement claims (rounds far
// apart, a suspended laptop); peers refuse longer ones.
const maxAnnouncedSpan = 24 * time.Hour

// windowDemand is c's demand over the announcement window, from the
// node's cumulative counters d and the samples earlier rounds took: since
// the newest sample at least a window old, over the span it really
// covers; all of it over one window while no sample is that old (counters
// start with the node, and the engine with it). It records d as a sample.
func (a *AutoSeeder) windowDemand(now time.Time, c cid.Cid, d VideoDemand) Announcement {
	seen := a.announced[c]
	if n := len(seen); n > 0 && (d.Wants < seen[n-1].wants || d.BytesSent < seen[n-1].bytes) {
		seen = nil // the node restarted: its counters began again
	}
	e := Announcement{Video: c, Wants: d.Wants, BytesServed: d.BytesSent, Window: a.cfg.window}
	base := -1
	for i, s := range seen {
		if !s.at.After(now.Add(-a.cfg.window)) {
			base = i
		}
	}
	if base >= 0 {
		b := seen[base]
		e.Wants -= b.wants
		e.BytesServed -= b.bytes
		e.Window = min(max(now.Sub(b.at), a.cfg.window), maxAnnouncedSpan)
		seen = seen[base:] // older samples are never a baseline again
	}
	if n := len(seen); n == 0 || now.After(seen[n-1].at) {
		seen = append(seen, demandSample{at: now, wants: d.Wants, bytes: d.BytesSent})
	}
	a.announced[c] = seen
	return e
}
