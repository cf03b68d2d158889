package node

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipfs/go-cid"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// Seeding announcements. Every node joins one gossipsub topic. Nodes not
// in private mode publish, about once a minute, which videos they serve
// and the demand their bitswap server saw for each over a sliding window
// (the last ten minutes by default; counts only), signed by their
// identity (StrictSign: pubsub drops a message whose signature does not
// match its sender before our validator runs). Each node keeps every
// peer's latest announcement for a TTL, replacing the one before (windows
// overlap, so adding them up would count demand again), and sums them per
// video in Heard as rates, which feed popularity: much demand and few
// providers mark a video worth seeding.
//
// A peer cannot make a node hold much: an announcement is at most 16 KiB
// and 64 videos, at most 1024 announcers are kept (the oldest go first),
// Heard returns at most 10 000 videos, the rate table holds 4096 senders.
// A sender over its rate (PeerBurst at once, then one per PeerInterval)
// is refused for Penalty and its announcement forgotten; every refused
// message it delivered itself lowers its gossipsub score, and below the
// graylist threshold gossipsub drops everything it sends unread.

// AnnounceTopic is the gossipsub topic where nodes say which videos they
// serve. The trailing number is the wire format's version: a change old
// nodes cannot read takes a new topic, so old and new never penalize
// each other.
const AnnounceTopic = "/ipfs-tube/seeding/2"

// ErrAnnounceTooSoon means Announce was called again before
// AnnounceLimits.MinInterval passed; nothing was published.
var ErrAnnounceTooSoon = errors.New("announced too recently")

// Announcement is one video this node serves and the demand its bitswap
// server saw for it over the last Window.
type Announcement struct {
	// Video is the file CID, the video's identity everywhere.
	Video cid.Cid
	// Wants counts want-list entries peers sent for the video's blocks.
	Wants int64
	// BytesServed counts block bytes sent to peers for the video.
	BytesServed int64
	// Window is the span the counts cover, ending now: 100 ms to 24 h;
	// zero means DefaultAnnounceWindow.
	Window time.Duration
}

// DefaultAnnounceWindow is the span an Announcement's demand covers when
// it names none: as long as peers keep an announcement (the default TTL).
const DefaultAnnounceWindow = 10 * time.Minute

// HeardVideo is what peers' live announcements say about one video.
// These are claims: a peer may lie about demand or about serving a
// video; the counts only tell where to look (the DHT and bitswap check).
type HeardVideo struct {
	// Providers is how many distinct peers announce the video.
	Providers int
	// WantsPerSecond and BytesPerSecond sum the demand those peers
	// reported in their latest announcements, each peer's counts divided
	// by the window they cover: the network's recent demand as a rate.
	WantsPerSecond float64
	BytesPerSecond float64
	// LastHeard is when the most recent of those announcements arrived.
	LastHeard time.Time
}

// AnnounceLimits bound how often this node announces and what it takes
// from peers. Zero fields take the defaults.
type AnnounceLimits struct {
	// MinInterval is the least time between two of our announcements
	// (default 15 s); Announce refuses sooner ones with
	// ErrAnnounceTooSoon. Keep it above PeerInterval, or peers with the
	// defaults meter us.
	MinInterval time.Duration
	// PeerInterval and PeerBurst meter each sender: one announcement per
	// PeerInterval on average (default 10 s), PeerBurst at once (default 3).
	PeerInterval time.Duration
	PeerBurst    int
	// Penalty is how long a sender that went over its rate is refused
	// entirely (default 10 min); what it announced before is forgotten.
	Penalty time.Duration
	// TTL is how long a peer's latest announcement counts after it
	// arrived (default 10 min). Peers re-announce well within it.
	TTL time.Duration
}

func (l AnnounceLimits) withDefaults() AnnounceLimits {
	if l.MinInterval <= 0 {
		l.MinInterval = 15 * time.Second
	}
	if l.PeerInterval <= 0 {
		l.PeerInterval = 10 * time.Second
	}
	if l.PeerBurst <= 0 {
		l.PeerBurst = 3
	}
	if l.Penalty <= 0 {
		l.Penalty = 10 * time.Minute
	}
	if l.TTL <= 0 {
		l.TTL = 10 * time.Minute
	}
	return l
}

// WithAnnounceLimits sets the announcement limits (tests shorten them).
func WithAnnounceLimits(l AnnounceLimits) Option {
	return func(o *options) { o.announce = l }
}

// AnnounceStats tells what the seeding topic is doing, for the GUI and
// for tests.
type AnnounceStats struct {
	// Published counts our announcements; LastPublished is the latest.
	Published     int64
	LastPublished time.Time
	// Accepted counts peers' announcements taken into Heard.
	Accepted int64
	// Invalid counts announcements refused for what they hold: not
	// decodable, oversized, too many or bad entries, a timestamp too far
	// from our clock.
	Invalid int64
	// Forged counts messages pubsub refused for a missing or wrong
	// signature (one claiming to come from a peer that did not sign it).
	Forged int64
	// RateLimited counts announcements refused because their sender went
	// over its rate or serves a penalty for it.
	RateLimited int64
	// Stale counts announcements ignored because a newer one from the
	// same sender was already in; Dropped counts those pubsub dropped
	// unvalidated because validation was overloaded.
	Stale   int64
	Dropped int64
	// MeshPeers is how many peers we exchange announcements with directly.
	MeshPeers int
	// Announcers is how many peers' announcements are live in Heard.
	Announcers int
	// Penalized is how many senders serve a penalty now.
	Penalized int
	// Graylisted is how many peers gossipsub's scoring ignores entirely
	// (their score, lowered by every invalid message, fell below the
	// graylist threshold), at the last score inspection.
	Graylisted int
}

// Bounds on what gossip keeps in memory: at most maxAnnouncers peers'
// latest announcements (MaxAnnouncedVideos entries each), and Heard
// returns at most maxHeardVideos videos.
const (
	maxAnnouncers  = 1024
	maxHeardVideos = 10_000
)

// Timestamps further than this from our clock are refused. Generous:
// desktop clocks drift by minutes, and a relay judged the same message
// with its own clock.
const (
	announceMaxAhead = 5 * time.Minute
	announceMaxAge   = 15 * time.Minute
)

// Peer scoring counts only invalid messages on the topic (P4: counter
// squared times the weight, decaying over ten minutes). Nine invalid
// messages take a peer below the graylist threshold, where gossipsub
// drops everything it sends before validation; honest peers stay at 0.
// IP colocation stays off: loopback tests and households behind one NAT
// share an address.
const (
	scoreInvalidWeight     = -1
	scoreGossipThreshold   = -10
	scorePublishThreshold  = -50
	scoreGraylistThreshold = -80
	scoreInspectPeriod     = 2 * time.Second
)

func announceScoring() (*pubsub.PeerScoreParams, *pubsub.PeerScoreThresholds) {
	params := &pubsub.PeerScoreParams{
		SkipAtomicValidation: true,
		Topics: map[string]*pubsub.TopicScoreParams{
			AnnounceTopic: {
				SkipAtomicValidation: true,
				TopicWeight:          1,
				// Unused (weight 0) but a divisor in the score.
				TimeInMeshQuantum:              time.Second,
				InvalidMessageDeliveriesWeight: scoreInvalidWeight,
				InvalidMessageDeliveriesDecay:  pubsub.ScoreParameterDecay(10 * time.Minute),
			},
		},
		AppSpecificScore: func(peer.ID) float64 { return 0 },
		DecayInterval:    pubsub.DefaultDecayInterval,
		DecayToZero:      pubsub.DefaultDecayToZero,
		// A flooder that reconnects keeps its score.
		RetainScore: 10 * time.Minute,
	}
	thresholds := &pubsub.PeerScoreThresholds{
		SkipAtomicValidation: true,
		GossipThreshold:      scoreGossipThreshold,
		PublishThreshold:     scorePublishThreshold,
		GraylistThreshold:    scoreGraylistThreshold,
	}
	return params, thresholds
}

// gossip is the node's part in the seeding topic: it publishes our
// announcements, validates peers' and keeps the live ones for Heard.
type gossip struct {
	self   peer.ID
	limits AnnounceLimits
	log    *slog.Logger
	topic  *pubsub.Topic
	sub    *pubsub.Subscription

	// pubMu orders our publications; it is held across Publish.
	pubMu         sync.Mutex
	lastSent      time.Time // timestamp of our latest announcement
	lastPublished time.Time // our clock when it went out
	// lastPublishedAt is lastPublished in Unix nanoseconds for stats,
	// which must not wait while a publication waits for the mesh.
	lastPublishedAt atomic.Int64

	mu      sync.Mutex
	rates   *rateTable
	heard   map[peer.ID]*peerAnnouncement
	rejects map[string]int64 // invalid announcements by reason

	// mesh is who we forward and publish to, followed through the
	// tracer's graft and prune events (see publish).
	meshMu sync.Mutex
	mesh   map[peer.ID]struct{}

	published, accepted, invalid, forged atomic.Int64
	rateLimited, stale, dropped          atomic.Int64
	graylisted                           atomic.Int32
}

// peerAnnouncement is a peer's latest accepted announcement.
type peerAnnouncement struct {
	sent     time.Time // its clock
	received time.Time // ours
	videos   []Announcement
}

func (n *Node) startGossip(life context.Context, h host.Host) (*gossip, error) {
	l := n.announceLimits.withDefaults()
	g := &gossip{
		self:    h.ID(),
		limits:  l,
		log:     n.log,
		rates:   newRateTable(l.PeerInterval, l.PeerBurst, l.Penalty),
		heard:   make(map[peer.ID]*peerAnnouncement),
		rejects: make(map[string]int64),
		mesh:    make(map[peer.ID]struct{}),
	}
	params, thresholds := announceScoring()
	ps, err := pubsub.NewGossipSub(life, h,
		pubsub.WithMessageSignaturePolicy(pubsub.StrictSign),
		// Our own announcements go to every peer on the topic, not only
		// the mesh: one lost announcement loses the demand it carried.
		pubsub.WithFloodPublish(true),
		pubsub.WithPeerScore(params, thresholds),
		pubsub.WithPeerScoreInspect(pubsub.PeerScoreInspectFn(g.inspectScores), scoreInspectPeriod),
		pubsub.WithRawTracer(gossipTracer{g}),
		pubsub.WithLogger(n.log.With("part", "pubsub")),
	)
	if err != nil {
		return nil, err
	}
	// Inline: the checks are cheap and need no goroutine per message.
	if err := ps.RegisterTopicValidator(AnnounceTopic, g.validate, pubsub.WithValidatorInline(true)); err != nil {
		return nil, err
	}
	if g.topic, err = ps.Join(AnnounceTopic); err != nil {
		return nil, err
	}
	if g.sub, err = g.topic.Subscribe(pubsub.WithBufferSize(256)); err != nil {
		return nil, err
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		g.read(life)
	}()
	return g, nil
}

// Announce publishes, signed by the node's identity, that it serves the
// entries' videos and the demand it saw for them over their windows. The
// engine calls it periodically (every minute or so: peers forget an
// announcement after AnnounceLimits.TTL), each time with the demand of
// the last window, so any one announcement that arrives carries all
// recent demand. Entries naming the same video are summed (the first
// one's window applies); past MaxAnnouncedVideos, the ones with the most
// demand are kept. An empty list says the node serves nothing now.
//
// In private mode (Config.Private) it publishes nothing and returns nil.
// Called again within AnnounceLimits.MinInterval it fails with
// ErrAnnounceTooSoon.
func (n *Node) Announce(ctx context.Context, entries []Announcement) error {
	if n.cfg.Private {
		n.log.Debug("private mode: not announcing", "videos", len(entries))
		return nil
	}
	on := n.net.Load()
	if on == nil || on.gossip == nil {
		return errors.New("node.Announce: node not started")
	}
	if err := on.gossip.announce(ctx, entries); err != nil {
		return fmt.Errorf("node.Announce: %w", err)
	}
	return nil
}

// Heard aggregates peers' live announcements per video. Our own are not
// in it, nor those of peers serving a penalty.
func (n *Node) Heard() map[cid.Cid]HeardVideo {
	on := n.net.Load()
	if on == nil || on.gossip == nil {
		return map[cid.Cid]HeardVideo{}
	}
	return on.gossip.heardAt(time.Now())
}

// AnnounceStats reports the seeding topic's counters; zero before Start.
func (n *Node) AnnounceStats() AnnounceStats {
	on := n.net.Load()
	if on == nil || on.gossip == nil {
		return AnnounceStats{}
	}
	return on.gossip.stats(time.Now())
}

func (g *gossip) announce(ctx context.Context, entries []Announcement) error {
	videos, err := boundEntries(entries)
	if err != nil {
		return err
	}
	g.pubMu.Lock()
	defer g.pubMu.Unlock()
	now := time.Now()
	if !g.lastPublished.IsZero() && now.Sub(g.lastPublished) < g.limits.MinInterval {
		return fmt.Errorf("%w: last one %s ago, at least %s apart", ErrAnnounceTooSoon,
			now.Sub(g.lastPublished).Round(time.Millisecond), g.limits.MinInterval)
	}
	// Receivers drop an announcement not newer than the sender's last,
	// so the timestamp must grow even if the clock steps back.
	sent := time.UnixMilli(now.UnixMilli())
	if !sent.After(g.lastSent) {
		sent = g.lastSent.Add(time.Millisecond)
	}
	data, err := encodeAnnouncement(sent, videos)
	if err != nil {
		return err
	}
	if err := g.publish(ctx, data); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	g.lastSent, g.lastPublished = sent, now
	g.lastPublishedAt.Store(now.UnixNano())
	g.published.Add(1)
	g.log.Debug("announced", "videos", len(videos), "bytes", len(data), "peers", len(g.topic.ListPeers()))
	return nil
}

// topicWait bounds how long an announcement waits to know a peer on the
// topic: a peer that just connected tells its subscriptions a moment later.
const topicWait = 3 * time.Second

// publish sends data to every peer on the topic (flood publishing), waiting
// up to topicWait for the first one when none is known yet; with nobody
// there in time it publishes anyway, to whoever is there.
func (g *gossip) publish(ctx context.Context, data []byte) error {
	if len(g.topic.ListPeers()) > 0 {
		return g.topic.Publish(ctx, data)
	}
	wait, cancel := context.WithTimeout(ctx, topicWait)
	defer cancel()
	err := g.topic.Publish(wait, data, pubsub.WithReadiness(pubsub.MinTopicSize(1)))
	if err != nil && wait.Err() != nil && ctx.Err() == nil {
		return g.topic.Publish(ctx, data)
	}
	return err
}

// boundEntries checks entries, sums duplicates and keeps the
// MaxAnnouncedVideos with the most demand.
func boundEntries(entries []Announcement) ([]Announcement, error) {
	merged := make(map[cid.Cid]int, len(entries))
	var out []Announcement
	for _, e := range entries {
		if err := checkAnnouncedCid(e.Video); err != nil {
			return nil, err
		}
		if e.Window == 0 {
			e.Window = DefaultAnnounceWindow
		}
		if err := checkCounts(e.Wants, e.BytesServed, e.Window); err != nil {
			return nil, fmt.Errorf("%s: %w", e.Video, err)
		}
		if i, ok := merged[e.Video]; ok {
			out[i].Wants = min(out[i].Wants+e.Wants, maxAnnouncedWants)
			out[i].BytesServed = min(out[i].BytesServed+e.BytesServed, maxAnnouncedBytes)
			continue
		}
		merged[e.Video] = len(out)
		out = append(out, e)
	}
	if len(out) > MaxAnnouncedVideos {
		slices.SortStableFunc(out, func(a, b Announcement) int {
			return cmp.Or(cmp.Compare(b.BytesServed, a.BytesServed), cmp.Compare(b.Wants, a.Wants))
		})
		out = out[:MaxAnnouncedVideos]
	}
	return out, nil
}

// validate is the topic validator. Faults in what a message holds are
// rejected outright, which lowers the gossipsub score of the peer that
// relayed it: an honest relay would have refused it too. Faults that
// depend on when and where a message is judged (the sender's rate, its
// clock) are rejected only when the sender itself delivered the message
// and ignored when a relay did, since the relay judged it at another
// moment with another clock.
func (g *gossip) validate(_ context.Context, from peer.ID, msg *pubsub.Message) pubsub.ValidationResult {
	author := msg.GetFrom()
	if author == g.self {
		return pubsub.ValidationAccept // our own, built by announce
	}
	blame := pubsub.ValidationIgnore
	if from == author {
		blame = pubsub.ValidationReject
	}
	now := time.Now()
	if len(msg.Data) > maxAnnounceBytes {
		g.countInvalid(rejectOversized)
		return pubsub.ValidationReject
	}

	g.mu.Lock()
	verdict := g.rates.admit(author, now)
	if verdict == rateExceeded {
		delete(g.heard, author)
	}
	g.mu.Unlock()
	switch verdict {
	case rateExceeded:
		g.rateLimited.Add(1)
		g.log.Warn("gossip: peer announces too often; ignoring it", "peer", author, "relay", from, "for", g.limits.Penalty)
		return blame
	case ratePenalized:
		g.rateLimited.Add(1)
		return blame
	case rateTableFull:
		g.rateLimited.Add(1)
		return pubsub.ValidationIgnore
	}

	d, err := decodeAnnouncement(msg.Data, now, announceMaxAhead, announceMaxAge)
	if err != nil {
		var we *wireError
		reason := rejectEncoding
		if errors.As(err, &we) {
			reason = we.reason
		}
		g.countInvalid(reason)
		g.log.Debug("gossip: refused announcement", "peer", author, "relay", from, "err", err)
		if reason == rejectClock {
			return blame
		}
		return pubsub.ValidationReject
	}

	g.mu.Lock()
	prev, ok := g.heard[author]
	g.mu.Unlock()
	if ok && !d.sent.After(prev.sent) {
		g.stale.Add(1)
		return pubsub.ValidationIgnore
	}
	msg.ValidatorData = &d
	return pubsub.ValidationAccept
}

func (g *gossip) countInvalid(reason string) {
	g.invalid.Add(1)
	g.mu.Lock()
	g.rejects[reason]++
	g.mu.Unlock()
}

// read takes validated announcements off the subscription until life ends.
func (g *gossip) read(life context.Context) {
	defer g.sub.Cancel()
	for {
		msg, err := g.sub.Next(life)
		if err != nil {
			return
		}
		author := msg.GetFrom()
		if author == g.self {
			continue
		}
		d, ok := msg.ValidatorData.(*decodedAnnouncement)
		if !ok {
			continue
		}
		g.record(author, d, time.Now())
	}
}

// record keeps a peer's announcement as its latest, within the bounds.
func (g *gossip) record(author peer.ID, d *decodedAnnouncement, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if s, ok := g.rates.senders[author]; ok && now.Before(s.penaltyUntil) {
		return // went over its rate while this one waited in the queue
	}
	prev, ok := g.heard[author]
	if ok && !d.sent.After(prev.sent) {
		g.stale.Add(1)
		return
	}
	if !ok && len(g.heard) >= maxAnnouncers {
		g.expire(now)
		if len(g.heard) >= maxAnnouncers {
			g.forgetOldest()
		}
	}
	g.heard[author] = &peerAnnouncement{sent: d.sent, received: now, videos: d.videos}
	g.accepted.Add(1)
}

// expire drops announcements older than the TTL. Callers hold mu.
func (g *gossip) expire(now time.Time) {
	for p, a := range g.heard {
		if now.Sub(a.received) > g.limits.TTL {
			delete(g.heard, p)
		}
	}
}

// forgetOldest drops the announcement that arrived longest ago. Callers
// hold mu.
func (g *gossip) forgetOldest() {
	var oldest peer.ID
	var at time.Time
	for p, a := range g.heard {
		if oldest == "" || a.received.Before(at) {
			oldest, at = p, a.received
		}
	}
	delete(g.heard, oldest)
}

func (g *gossip) heardAt(now time.Time) map[cid.Cid]HeardVideo {
	g.mu.Lock()
	g.expire(now)
	out := make(map[cid.Cid]HeardVideo)
	for _, a := range g.heard {
		for _, v := range a.videos {
			h := out[v.Video]
			h.Providers++
			// Bounded by the counts' and windows' limits: no overflow.
			h.WantsPerSecond += float64(v.Wants) / v.Window.Seconds()
			h.BytesPerSecond += float64(v.BytesServed) / v.Window.Seconds()
			if a.received.After(h.LastHeard) {
				h.LastHeard = a.received
			}
			out[v.Video] = h
		}
	}
	g.mu.Unlock()
	if len(out) <= maxHeardVideos {
		return out
	}
	// Too many to hand out: keep the most widely announced, then the
	// most demanded.
	type ranked struct {
		c cid.Cid
		h HeardVideo
	}
	all := make([]ranked, 0, len(out))
	for c, h := range out {
		all = append(all, ranked{c, h})
	}
	slices.SortFunc(all, func(a, b ranked) int {
		return cmp.Or(cmp.Compare(b.h.Providers, a.h.Providers),
			cmp.Compare(b.h.BytesPerSecond, a.h.BytesPerSecond),
			cmp.Compare(b.h.WantsPerSecond, a.h.WantsPerSecond),
			cmp.Compare(a.c.KeyString(), b.c.KeyString()))
	})
	trimmed := make(map[cid.Cid]HeardVideo, maxHeardVideos)
	for _, r := range all[:maxHeardVideos] {
		trimmed[r.c] = r.h
	}
	return trimmed
}

func (g *gossip) stats(now time.Time) AnnounceStats {
	var last time.Time
	if ns := g.lastPublishedAt.Load(); ns != 0 {
		last = time.Unix(0, ns)
	}
	g.mu.Lock()
	g.expire(now)
	announcers, penalized := len(g.heard), g.rates.penalized(now)
	g.mu.Unlock()
	return AnnounceStats{
		Published:     g.published.Load(),
		LastPublished: last,
		Accepted:      g.accepted.Load(),
		Invalid:       g.invalid.Load(),
		Forged:        g.forged.Load(),
		RateLimited:   g.rateLimited.Load(),
		Stale:         g.stale.Load(),
		Dropped:       g.dropped.Load(),
		MeshPeers:     g.meshSize(),
		Announcers:    announcers,
		Penalized:     penalized,
		Graylisted:    int(g.graylisted.Load()),
	}
}

// inspectScores runs periodically on gossipsub's scoring goroutine.
func (g *gossip) inspectScores(scores map[peer.ID]float64) {
	n := int32(0)
	for _, s := range scores {
		if s < scoreGraylistThreshold {
			n++
		}
	}
	if old := g.graylisted.Swap(n); n > old {
		g.log.Warn("gossip: peers graylisted for invalid announcements", "peers", n)
	}
}

func (g *gossip) meshSize() int {
	g.meshMu.Lock()
	defer g.meshMu.Unlock()
	return len(g.mesh)
}

func (g *gossip) inMesh(p peer.ID) bool {
	g.meshMu.Lock()
	defer g.meshMu.Unlock()
	_, ok := g.mesh[p]
	return ok
}

func (g *gossip) setMesh(p peer.ID, in bool) {
	g.meshMu.Lock()
	defer g.meshMu.Unlock()
	if in {
		g.mesh[p] = struct{}{}
	} else {
		delete(g.mesh, p)
	}
}

// gossipTracer counts what pubsub refuses before our validator sees it
// and follows the mesh. It runs inside pubsub's event loop, so it only
// bumps counters and flips set entries.
type gossipTracer struct{ g *gossip }

var _ pubsub.RawTracer = gossipTracer{}

func (t gossipTracer) RejectMessage(_ *pubsub.Message, reason string) {
	switch reason {
	case pubsub.RejectMissingSignature, pubsub.RejectInvalidSignature, pubsub.RejectUnexpectedSignature,
		pubsub.RejectUnexpectedAuthInfo, pubsub.RejectSelfOrigin:
		t.g.forged.Add(1)
	case pubsub.RejectValidationQueueFull, pubsub.RejectValidationThrottled:
		t.g.dropped.Add(1)
	}
}

func (gossipTracer) OnNewOutboundStream(peer.ID, protocol.ID)             {}
func (t gossipTracer) OnClosedOutboundStream(p peer.ID)                   { t.g.setMesh(p, false) }
func (gossipTracer) Join(string)                                          {}
func (gossipTracer) Leave(string)                                         {}
func (t gossipTracer) Graft(p peer.ID, _ string)                          { t.g.setMesh(p, true) }
func (t gossipTracer) Prune(p peer.ID, _ string)                          { t.g.setMesh(p, false) }
func (gossipTracer) ValidateMessage(*pubsub.Message)                      {}
func (gossipTracer) DeliverMessage(*pubsub.Message)                       {}
func (gossipTracer) DuplicateMessage(*pubsub.Message)                     {}
func (gossipTracer) ThrottlePeer(peer.ID)                                 {}
func (gossipTracer) RecvRPC(*pubsub.RPC)                                  {}
func (gossipTracer) SendRPC(*pubsub.RPC, peer.ID)                         {}
func (gossipTracer) SendRPCCompleted(*pubsub.RPC, peer.ID, time.Duration) {}
func (gossipTracer) DropRPC(*pubsub.RPC, peer.ID)                         {}
func (gossipTracer) UndeliverableMessage(*pubsub.Message)                 {}
