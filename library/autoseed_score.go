package library

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/ipfs/go-cid"
)

// VideoDemand is what the node's bitswap server saw for one video since
// the node started: cumulative counters, attributed to the video's file
// CID through the node's block→video index (a video the node never
// indexed shows up only through wants for its root).
type VideoDemand struct {
	Wants, BlocksSent, BytesSent int64
	LastWant                     time.Time
}

// HeardVideo is what gossip says about one video: how many other peers
// announce serving it, the demand they reported in their latest
// announcements as a rate (each peer's counts over its window, summed
// over peers; a peer's newer announcement replaces its older one), and
// when the latest arrived.
type HeardVideo struct {
	Providers                      int
	WantsPerSecond, BytesPerSecond float64
	LastHeard                      time.Time
}

// Announcement is one entry of what this node tells the network it
// serves, with the demand it saw over the Window ending now.
type Announcement struct {
	Video              cid.Cid
	Wants, BytesServed int64
	Window             time.Duration
}

// VideoScore is one video's popularity as the last round computed it.
// Heat, Watches, LocalDemand and HeardDemand are in viewings (one viewing
// is one whole copy of the video watched, served or asked for), decayed
// with the half-life.
type VideoScore struct {
	Cid   cid.Cid `json:"cid"`
	Title string  `json:"title,omitempty"`
	// Size is the file's size; 0 while unknown.
	Size int64 `json:"size,omitempty"`
	// Score is Heat / (1 + Providers): what ranks videos for seeding.
	Score float64 `json:"score"`
	Heat  float64 `json:"heat"`
	// Watches: viewings on this machine; LocalDemand: copies our node
	// served or was asked for; HeardDemand: demand other nodes announced.
	Watches     float64 `json:"watches"`
	LocalDemand float64 `json:"local_demand"`
	HeardDemand float64 `json:"heard_demand"`
	// Providers is how many other nodes are known to serve the video (the
	// larger of the DHT's count and the peers announcing it); -1 when
	// nobody was asked yet.
	Providers int `json:"providers"`
	// Kept is the catalog's keep reasons (0 for a video only heard of).
	Kept KeepReason `json:"kept"`
	// SeededAt is when auto-seeding began keeping it; zero when it does not.
	SeededAt time.Time `json:"seeded_at,omitzero"`
	// Candidate: auto-seeding would fetch and pin it if it had room (not an
	// own upload, a pin or already auto-seeded, and scoring at least the
	// minimum).
	Candidate bool `json:"candidate"`
}

// blockBytes is the import profile's chunk size: a video of n bytes is
// about n/blockBytes block requests.
const blockBytes = 1 << 20

// popularity holds one video's decayed sums, brought up to date at at.
type popularity struct {
	at      time.Time
	watches float64 // viewings on this machine
	wants   float64 // wants our bitswap received
	bytes   float64 // bytes it sent

	// Gossip: the rates of wants and bytes other nodes reported,
	// integrated over the time they kept reporting them; heardAt is when
	// that was last done, zero when the video was not heard of in the
	// last round.
	heardWants, heardBytes float64
	heardAt                time.Time

	// The cumulative counters last seen, to turn them into increments.
	seenWatches           int
	seenWants, seenBytes  int64
	watchSeen, demandSeen bool
}

// halfLifeFactor is how much a value decays over d.
func halfLifeFactor(d, halfLife time.Duration) float64 {
	if d <= 0 {
		return 1
	}
	return math.Exp2(-float64(d) / float64(halfLife))
}

// decayTo brings the sums to now.
func (p *popularity) decayTo(now time.Time, halfLife time.Duration) {
	if p.at.IsZero() {
		p.at = now
		return
	}
	if !now.After(p.at) {
		return // a clock step back: keep the sums, decay resumes later
	}
	f := halfLifeFactor(now.Sub(p.at), halfLife)
	p.watches *= f
	p.wants *= f
	p.bytes *= f
	p.heardWants *= f
	p.heardBytes *= f
	p.at = now
}

// observeWatches adds the viewings counted since the last round. The first
// time a video is seen its whole history counts, decayed from its last
// viewing (an upper bound: older viewings would have decayed more).
func (p *popularity) observeWatches(now time.Time, v Video, halfLife time.Duration) {
	switch {
	case !p.watchSeen:
		p.watches += float64(v.WatchCount) * halfLifeFactor(now.Sub(v.LastWatched), halfLife)
	case v.WatchCount > p.seenWatches:
		p.watches += float64(v.WatchCount - p.seenWatches)
	}
	// A count that went down is a replaced record: start again from it.
	p.seenWatches, p.watchSeen = v.WatchCount, true
}

// observeDemand adds the node's demand since the last round. Counters that
// went down mean the node restarted: what they show now is all new.
func (p *popularity) observeDemand(now time.Time, d VideoDemand, halfLife time.Duration) {
	dw, db := d.Wants, d.BytesSent
	f := 1.0
	switch {
	case !p.demandSeen && !d.LastWant.IsZero():
		f = halfLifeFactor(now.Sub(d.LastWant), halfLife)
	case !p.demandSeen:
	case dw < p.seenWants || db < p.seenBytes:
	default:
		dw -= p.seenWants
		db -= p.seenBytes
	}
	p.wants += float64(dw) * f
	p.bytes += float64(db) * f
	p.seenWants, p.seenBytes, p.demandSeen = d.Wants, d.BytesSent, true
}

// observeHeard adds what gossip reports: the rate of demand announced
// lately, integrated over the time since the last round (at most
// maxHeardPeriods periods, as announcements expire); a video heard of
// anew counts one period. A demand event stays in its announcer's window
// for one window, during which the rate carries it at 1/window: over that
// time it adds up to the event itself, however many announcements were
// lost, so long as one arrives now and then.
func (p *popularity) observeHeard(now time.Time, h HeardVideo, period time.Duration) {
	span := period
	if !p.heardAt.IsZero() {
		span = min(max(now.Sub(p.heardAt), 0), maxHeardPeriods*period)
	}
	p.heardWants += h.WantsPerSecond * span.Seconds()
	p.heardBytes += h.BytesPerSecond * span.Seconds()
	p.heardAt = now
}

// maxHeardPeriods caps the integration when rounds were far apart (a
// suspended laptop): peers' announcements expire after ten minutes.
const maxHeardPeriods = 10

// negligible: sums this small are forgotten (a single viewing takes about
// ten half-lives to get here).
const negligible = 1e-3

func (p *popularity) negligible() bool {
	return p.watches < negligible && p.wants < negligible && p.bytes < negligible &&
		p.heardWants < negligible && p.heardBytes < negligible
}

// scoreInputs is what one video's score is computed from.
type scoreInputs struct {
	pop       *popularity // nil: no watches or demand at all
	heard     HeardVideo  // for its provider count
	size      int64       // 0: unknown
	providers int         // -1: unknown
}

// computeScore applies the formula (see the AutoSeeder's doc) to the
// decayed sums:
//
//	blocks      = ceil(size / 1 MiB), 1 while the size is unknown
//	localDemand = max(bytes served / size, wants / blocks)
//	heardDemand = max(heard bytes served / size, heard wants / blocks)
//	heat        = watches + localDemand + heardDemand
//	score       = heat / (1 + providers)
func computeScore(in scoreInputs) VideoScore {
	blocks := float64(1)
	sizeForBytes := float64(blockBytes)
	if in.size > 0 {
		blocks = math.Ceil(float64(in.size) / blockBytes)
		sizeForBytes = float64(in.size)
	}
	var s VideoScore
	if in.pop != nil {
		s.Watches = in.pop.watches
		s.LocalDemand = max(in.pop.bytes/sizeForBytes, in.pop.wants/blocks)
		s.HeardDemand = max(in.pop.heardBytes/sizeForBytes, in.pop.heardWants/blocks)
	}
	s.Heat = s.Watches + s.LocalDemand + s.HeardDemand
	s.Providers = in.providers
	if in.heard.Providers > s.Providers {
		s.Providers = in.heard.Providers
	}
	s.Score = s.Heat / float64(1+max(s.Providers, 0))
	s.Size = in.size
	return s
}

// sortScores orders best first; ties go to the smaller video (more copies
// per byte of quota), then to the CID so rounds are repeatable.
func sortScores(scores []VideoScore) {
	slices.SortFunc(scores, func(a, b VideoScore) int {
		return cmp.Or(
			cmp.Compare(b.Score, a.Score),
			cmp.Compare(a.Size, b.Size),
			cmp.Compare(a.Cid.KeyString(), b.Cid.KeyString()),
		)
	})
}
