package node

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/multiformats/go-multihash"
	"google.golang.org/protobuf/proto"
)

// gossipWait bounds every wait for gossip: generous for a busy 2-core
// machine under the race detector.
const gossipWait = 30 * time.Second

// videoCid makes a distinct file CID (CIDv1, raw, sha2-256) per name.
func videoCid(t testing.TB, name string) cid.Cid {
	t.Helper()
	sum := sha256.Sum256([]byte(name))
	mh, err := multihash.Encode(sum[:], multihash.SHA2_256)
	if err != nil {
		t.Fatal(err)
	}
	return cid.NewCidV1(cid.Raw, mh)
}

// startGossipNode starts an isolated node with the given announcement
// limits.
func startGossipNode(t testing.TB, private bool, limits AnnounceLimits) *Node {
	t.Helper()
	ctx := context.Background()
	n, err := New(ctx, Config{Repo: filepath.Join(t.TempDir(), "repo"), Isolated: true, Private: private},
		WithAnnounceLimits(limits))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	if err := n.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return n
}

func connectNodes(t testing.TB, a, b *Node) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), gossipWait)
	defer cancel()
	if err := a.Connect(ctx, peer.AddrInfo{ID: b.ID(), Addrs: b.Host().Addrs()}); err != nil {
		t.Fatal(err)
	}
}

// topicPeers lists who n knows to be on the seeding topic.
func topicPeers(n *Node) []peer.ID { return n.net.Load().gossip.topic.ListPeers() }

// waitTopicPeers waits until n knows all of want to be on the topic.
// what it publishes reaches them.
func waitTopicPeers(t testing.TB, n *Node, want ...peer.ID) {
	t.Helper()
	pollGossip(t, fmt.Sprintf("%s to see %d topic peers", n.ID().ShortString(), len(want)), func() bool {
		have := topicPeers(n)
		for _, p := range want {
			if !slices.Contains(have, p) {
				return false
			}
		}
		return true
	})
}

// waitGossipLink waits until a and b have grafted each other into their
// meshes for the topic: gossipsub publishes a node's own messages to its
// mesh only, so before that an announcement reaches nobody.
func waitGossipLink(t testing.TB, a, b *Node) {
	t.Helper()
	pollGossip(t, fmt.Sprintf("%s and %s to mesh", a.ID().ShortString(), b.ID().ShortString()), func() bool {
		return a.net.Load().gossip.inMesh(b.ID()) && b.net.Load().gossip.inMesh(a.ID())
	})
}

func pollGossip(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(gossipWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", gossipWait, what)
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not synchronization
	}
}

func TestAnnounceReachesPeersAndAggregates(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	a := startGossipNode(t, false, AnnounceLimits{})
	b := startGossipNode(t, false, AnnounceLimits{})
	private := startGossipNode(t, true, AnnounceLimits{})
	c := startGossipNode(t, false, AnnounceLimits{})
	// A star around C: what A says reaches B only through C's relaying.
	for _, n := range []*Node{a, b, private} {
		connectNodes(t, n, c)
	}
	for _, n := range []*Node{a, b, private} {
		waitGossipLink(t, n, c)
	}

	v1, v2, v3 := videoCid(t, "v1"), videoCid(t, "v2"), videoCid(t, "v3")
	start := time.Now()
	if err := a.Announce(ctx, []Announcement{
		{Video: v1, Wants: 3, BytesServed: 100, Window: time.Second},
		{Video: v2, Wants: 6, BytesServed: 60}, // over the default window
		{Video: v1, Wants: 1, BytesServed: 1},  // summed into the first
	}); err != nil {
		t.Fatal(err)
	}
	if err := b.Announce(ctx, []Announcement{{Video: v1, Wants: 4, BytesServed: 100, Window: 2 * time.Second}}); err != nil {
		t.Fatal(err)
	}
	if err := private.Announce(ctx, []Announcement{{Video: v3, Wants: 9, BytesServed: 900}}); err != nil {
		t.Fatalf("private Announce: %v, want nil (it publishes nothing)", err)
	}

	pollGossip(t, "C to hear both announcers", func() bool { return c.Heard()[v1].Providers == 2 })
	heard := c.Heard()
	t.Logf("C heard after %v: %+v", time.Since(start).Round(time.Millisecond), heard)
	// Rates: A's 4 wants and 101 bytes over 1 s plus B's 4 and 100 over 2 s.
	if got, want := heard[v1], (HeardVideo{Providers: 2, WantsPerSecond: 6, BytesPerSecond: 151}); got.Providers != want.Providers || got.WantsPerSecond != want.WantsPerSecond || got.BytesPerSecond != want.BytesPerSecond {
		t.Errorf("v1 = %+v, want %+v", got, want)
	}
	if got, w := heard[v2], DefaultAnnounceWindow.Seconds(); got.Providers != 1 || got.WantsPerSecond != 6/w || got.BytesPerSecond != 60/w {
		t.Errorf("v2 = %+v, want 1 provider, 6 wants and 60 bytes over %v", got, DefaultAnnounceWindow)
	}
	if lh := heard[v1].LastHeard; lh.Before(start) || lh.After(time.Now()) {
		t.Errorf("v1 LastHeard %v, want between %v and now", lh, start)
	}
	if _, ok := heard[v3]; ok || len(heard) != 2 {
		t.Errorf("C heard %d videos (%v), want only v1 and v2: the private node announces nothing", len(heard), heard)
	}

	// A hears B through C, and never counts itself.
	pollGossip(t, "A to hear B through C", func() bool { return a.Heard()[v1].Providers == 1 })
	if got := a.Heard(); len(got) != 1 || got[v1].WantsPerSecond != 2 {
		t.Errorf("A heard %+v, want only B's v1 with 2 wants a second", got)
	}

	if st := private.AnnounceStats(); st.Published != 0 {
		t.Errorf("private node published %d announcements, want 0", st.Published)
	}
	if st := a.AnnounceStats(); st.Published != 1 || st.LastPublished.Before(start) {
		t.Errorf("A stats %+v, want 1 published after %v", st, start)
	}
	if st := c.AnnounceStats(); st.Accepted != 2 || st.Announcers != 2 || st.Invalid+st.Forged+st.RateLimited != 0 {
		t.Errorf("C stats %+v, want 2 accepted from 2 announcers, nothing refused", st)
	}

	// The local minimum interval holds, and a refused call publishes nothing.
	if err := a.Announce(ctx, []Announcement{{Video: v3}}); !errors.Is(err, ErrAnnounceTooSoon) {
		t.Errorf("second Announce at once: %v, want ErrAnnounceTooSoon", err)
	}
	if st := a.AnnounceStats(); st.Published != 1 {
		t.Errorf("A published %d after a refused call, want 1", st.Published)
	}

	// Windows overlap: B's next announcement, with the same demand over
	// the same window, replaces its first rather than adding to it.
	pollGossip(t, "B's minimum interval to pass", func() bool {
		return b.Announce(ctx, []Announcement{{Video: v1, Wants: 4, BytesServed: 100, Window: 2 * time.Second}}) == nil
	})
	pollGossip(t, "C to hear B's second announcement", func() bool { return c.AnnounceStats().Accepted == 3 })
	if got := c.Heard()[v1]; got.Providers != 2 || got.WantsPerSecond != 6 || got.BytesPerSecond != 151 {
		t.Errorf("v1 after B repeated its window = %+v, want it unchanged (2 providers, 6 wants/s, 151 B/s)", got)
	}
}

func TestAnnounceRefusesBadEntriesAndOffline(t *testing.T) {
	ctx := context.Background()
	off, err := New(ctx, Config{Repo: filepath.Join(t.TempDir(), "repo"), Isolated: true})
	if err != nil {
		t.Fatal(err)
	}
	defer off.Close()
	if err := off.Announce(ctx, nil); err == nil || !strings.HasPrefix(err.Error(), "node.Announce:") {
		t.Errorf("Announce before Start: %v, want a node.Announce error", err)
	}
	if h := off.Heard(); len(h) != 0 {
		t.Errorf("Heard before Start = %v, want empty", h)
	}

	n := startGossipNode(t, false, AnnounceLimits{MinInterval: time.Millisecond})
	idCid, err := cid.V1Builder{Codec: cid.Raw, MhType: multihash.IDENTITY}.Sum([]byte("inline"))
	if err != nil {
		t.Fatal(err)
	}
	for name, entries := range map[string][]Announcement{
		"identity CID":   {{Video: idCid}},
		"undefined CID":  {{Video: cid.Undef}},
		"negative wants": {{Video: videoCid(t, "x"), Wants: -1}},
		"huge bytes":     {{Video: videoCid(t, "x"), BytesServed: maxAnnouncedBytes + 1}},
		"tiny window":    {{Video: videoCid(t, "x"), Window: time.Millisecond}},
		"long window":    {{Video: videoCid(t, "x"), Window: 25 * time.Hour}},
	} {
		if err := n.Announce(ctx, entries); err == nil {
			t.Errorf("%s: Announce succeeded, want an error", name)
		}
	}
	if st := n.AnnounceStats(); st.Published != 0 {
		t.Errorf("published %d bad announcements", st.Published)
	}
	// No peers yet is not an error: the announcement just reaches nobody.
	if err := n.Announce(ctx, []Announcement{{Video: videoCid(t, "ok")}}); err != nil {
		t.Errorf("Announce without peers: %v", err)
	}
}

func TestBoundEntriesKeepsMostDemanded(t *testing.T) {
	var in []Announcement
	for i := range 100 {
		in = append(in, Announcement{Video: videoCid(t, fmt.Sprint(i)), Wants: 1, BytesServed: int64(i)})
	}
	in = append(in, Announcement{Video: videoCid(t, "0"), BytesServed: 1000}) // video 0 becomes the top one
	out, err := boundEntries(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != MaxAnnouncedVideos {
		t.Fatalf("kept %d, want %d", len(out), MaxAnnouncedVideos)
	}
	if out[0].Video != videoCid(t, "0") || out[0].BytesServed != 1000 || out[0].Wants != 1 {
		t.Errorf("top entry %+v, want video 0 with 1000 bytes and 1 want", out[0])
	}
	for _, e := range out[1:] {
		if e.BytesServed < 100-MaxAnnouncedVideos+1 {
			t.Errorf("kept %+v although more demanded ones were dropped", e)
		}
	}
	data, err := encodeAnnouncement(time.Now(), out)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("64 entries encode to %d bytes (limit %d)", len(data), maxAnnounceBytes)
}

// wireJSON builds an announcement by hand, as a peer might send it.
func wireJSON(t testing.TB, v int, sent time.Time, videos ...videoWire) []byte {
	t.Helper()
	data, err := json.Marshal(announceWire{V: v, T: sent.UnixMilli(), Videos: videos})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestDecodeAnnouncement(t *testing.T) {
	now := time.Now()
	good := videoWire{Cid: videoCid(t, "good").String(), Wants: 2, Bytes: 3, WindowMs: 60_000}
	many := make([]videoWire, MaxAnnouncedVideos+1)
	for i := range many {
		many[i] = videoWire{Cid: videoCid(t, fmt.Sprint(i)).String()}
	}
	idCid, _ := cid.V1Builder{Codec: cid.Raw, MhType: multihash.IDENTITY}.Sum([]byte("inline"))
	for _, tc := range []struct {
		name, reason string
		data         []byte
	}{
		{"valid", "", wireJSON(t, announceVersion, now, good)},
		{"valid empty", "", wireJSON(t, announceVersion, now)},
		{"unknown field ignored", "", []byte(fmt.Sprintf(`{"v":2,"t":%d,"videos":[],"later":true}`, now.UnixMilli()))},
		{"garbage", rejectEncoding, []byte("\x00\x01not json")},
		{"two objects", rejectEncoding, append(wireJSON(t, announceVersion, now), wireJSON(t, announceVersion, now)...)},
		{"float count", rejectEncoding, []byte(fmt.Sprintf(`{"v":2,"t":%d,"videos":[{"cid":%q,"wants":1.5,"window_ms":1000}]}`, now.UnixMilli(), good.Cid))},
		{"oversized", rejectOversized, []byte(`{"v":2,"pad":"` + strings.Repeat("x", maxAnnounceBytes) + `"}`)},
		{"newer version", rejectVersion, wireJSON(t, announceVersion+1, now, good)},
		{"version 1 (demand since the last one)", rejectVersion, wireJSON(t, 1, now, good)},
		{"too many", rejectEntries, wireJSON(t, announceVersion, now, many...)},
		{"future", rejectClock, wireJSON(t, announceVersion, now.Add(announceMaxAhead+time.Minute), good)},
		{"past", rejectClock, wireJSON(t, announceVersion, now.Add(-announceMaxAge-time.Minute), good)},
		{"bad cid", rejectVideo, wireJSON(t, announceVersion, now, videoWire{Cid: "not-a-cid"})},
		{"long cid", rejectVideo, wireJSON(t, announceVersion, now, videoWire{Cid: "b" + strings.Repeat("a", maxAnnounceCidLen)})},
		{"identity cid", rejectVideo, wireJSON(t, announceVersion, now, videoWire{Cid: idCid.String()})},
		{"duplicate", rejectVideo, wireJSON(t, announceVersion, now, good, good)},
		{"negative", rejectVideo, wireJSON(t, announceVersion, now, videoWire{Cid: good.Cid, Wants: -1})},
		{"huge", rejectVideo, wireJSON(t, announceVersion, now, videoWire{Cid: good.Cid, Bytes: maxAnnouncedBytes + 1, WindowMs: 1000})},
		{"no window", rejectVideo, wireJSON(t, announceVersion, now, videoWire{Cid: good.Cid, Wants: 1})},
		{"window too long", rejectVideo, wireJSON(t, announceVersion, now, videoWire{Cid: good.Cid, WindowMs: 25 * 3600_000})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := decodeAnnouncement(tc.data, now, announceMaxAhead, announceMaxAge)
			if tc.reason == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if d.sent.UnixMilli() != now.UnixMilli() {
					t.Errorf("sent %v, want %v", d.sent, now)
				}
				return
			}
			var we *wireError
			if !errors.As(err, &we) || we.reason != tc.reason {
				t.Fatalf("err %v, want reason %q", err, tc.reason)
			}
		})
	}
	d, err := decodeAnnouncement(wireJSON(t, announceVersion, now, good), now, announceMaxAhead, announceMaxAge)
	if err != nil || len(d.videos) != 1 || d.videos[0] != (Announcement{Video: videoCid(t, "good"), Wants: 2, BytesServed: 3, Window: time.Minute}) {
		t.Errorf("decoded %+v, %v", d, err)
	}
}

func TestRateTable(t *testing.T) {
	rt := newRateTable(10*time.Second, 3, time.Minute)
	p := peer.ID("sender")
	t0 := time.Unix(1_000_000, 0)
	for i := range 3 {
		if v := rt.admit(p, t0); v != rateOK {
			t.Fatalf("message %d of the burst: %v", i, v)
		}
	}
	if v := rt.admit(p, t0.Add(time.Second)); v != rateExceeded {
		t.Fatalf("4th within a second: %v, want rateExceeded", v)
	}
	// Refilled by now, but the penalty holds.
	if v := rt.admit(p, t0.Add(59*time.Second)); v != ratePenalized {
		t.Fatalf("during the penalty: %v, want ratePenalized", v)
	}
	if got := rt.penalized(t0.Add(59 * time.Second)); got != 1 {
		t.Errorf("penalized = %d, want 1", got)
	}
	if v := rt.admit(p, t0.Add(62*time.Second)); v != rateOK {
		t.Fatalf("after the penalty: %v, want rateOK", v)
	}
	// A steady sender at the rate never trips.
	q := peer.ID("steady")
	for i := range 100 {
		if v := rt.admit(q, t0.Add(time.Duration(i)*10*time.Second)); v != rateOK {
			t.Fatalf("steady message %d: %v", i, v)
		}
	}

	// The table stays bounded: idle senders make room, penalized ones do not.
	full := newRateTable(10*time.Second, 1, time.Hour)
	for i := range maxRateEntries {
		full.admit(peer.ID(fmt.Sprint("p", i)), t0)
		full.admit(peer.ID(fmt.Sprint("p", i)), t0) // over: penalized for an hour
	}
	if v := full.admit("newcomer", t0.Add(time.Minute)); v != rateTableFull {
		t.Fatalf("newcomer with a table of penalized senders: %v, want rateTableFull", v)
	}
	if v := full.admit("newcomer", t0.Add(2*time.Hour)); v != rateOK || len(full.senders) > maxRateEntries {
		t.Fatalf("newcomer after penalties ran out: %v with %d senders", v, len(full.senders))
	}
}

// newBareGossip is gossip's bookkeeping without a network, for the
// memory-bound tests.
func newBareGossip(l AnnounceLimits) *gossip {
	l = l.withDefaults()
	return &gossip{
		limits:  l,
		rates:   newRateTable(l.PeerInterval, l.PeerBurst, l.Penalty),
		heard:   make(map[peer.ID]*peerAnnouncement),
		rejects: make(map[string]int64),
	}
}

func TestHeardStaysBounded(t *testing.T) {
	g := newBareGossip(AnnounceLimits{})
	now := time.Now()
	// Twice as many announcers as kept, each with a full list of its own
	// videos, plus one video everybody lists.
	shared := videoCid(t, "shared")
	for i := range 2 * maxAnnouncers {
		videos := []Announcement{{Video: shared, Wants: 1, BytesServed: 1, Window: time.Second}}
		for j := range MaxAnnouncedVideos - 1 {
			videos = append(videos, Announcement{Video: videoCid(t, fmt.Sprint(i, "/", j)), Window: time.Second})
		}
		g.record(peer.ID(fmt.Sprint("peer", i)), &decodedAnnouncement{sent: now, videos: videos}, now.Add(time.Duration(i)*time.Millisecond))
	}
	if len(g.heard) != maxAnnouncers {
		t.Errorf("kept %d announcers, want the cap %d", len(g.heard), maxAnnouncers)
	}
	if _, ok := g.heard[peer.ID("peer0")]; ok {
		t.Error("kept the oldest announcer over newer ones")
	}
	heard := g.heardAt(now.Add(time.Minute))
	if len(heard) != maxHeardVideos {
		t.Errorf("Heard has %d videos, want the cap %d", len(heard), maxHeardVideos)
	}
	if h := heard[shared]; h.Providers != maxAnnouncers || h.WantsPerSecond != maxAnnouncers {
		t.Errorf("shared video %+v, want %d providers and wants a second", h, maxAnnouncers)
	}
	// Everything expires after the TTL.
	if heard := g.heardAt(now.Add(g.limits.TTL + time.Hour)); len(heard) != 0 || len(g.heard) != 0 {
		t.Errorf("after the TTL: %d videos, %d announcers kept", len(heard), len(g.heard))
	}
}

func TestAnnounceExpiresAfterTTL(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const ttl = 2 * time.Second
	a := startGossipNode(t, false, AnnounceLimits{})
	c := startGossipNode(t, false, AnnounceLimits{TTL: ttl})
	connectNodes(t, a, c)
	waitGossipLink(t, a, c)
	v := videoCid(t, "fleeting")
	if err := a.Announce(ctx, []Announcement{{Video: v, Wants: 1}}); err != nil {
		t.Fatal(err)
	}
	pollGossip(t, "C to hear A", func() bool { return c.Heard()[v].Providers == 1 })
	heardAt := c.Heard()[v].LastHeard
	pollGossip(t, "A's announcement to expire", func() bool { _, ok := c.Heard()[v]; return !ok })
	if gone := time.Since(heardAt); gone < ttl {
		t.Errorf("forgotten %v after it arrived, before the TTL %v", gone, ttl)
	}
	if st := c.AnnounceStats(); st.Announcers != 0 {
		t.Errorf("%d announcers live after expiry", st.Announcers)
	}
}

func TestAnnounceRightAfterConnectingWaitsForTheMesh(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a := startGossipNode(t, false, AnnounceLimits{})
	c := startGossipNode(t, false, AnnounceLimits{})
	connectNodes(t, a, c)
	// A knows C is on the topic but has grafted nobody yet.
	waitTopicPeers(t, a, c.ID())
	waitTopicPeers(t, c, a.ID())
	v := videoCid(t, "first")
	start := time.Now()
	if err := a.Announce(ctx, []Announcement{{Video: v, Wants: 1}}); err != nil {
		t.Fatal(err)
	}
	t.Logf("first Announce after connecting took %v", time.Since(start).Round(time.Millisecond))
	pollGossip(t, "C to hear A's first announcement", func() bool { return c.Heard()[v].Providers == 1 })
}

// rawPeer is a plain libp2p host with stock gossipsub and no validator:
// a peer that publishes whatever a test wants, as a hostile node could.
type rawPeer struct {
	h     host.Host
	ps    *pubsub.PubSub
	topic *pubsub.Topic
}

func newRawPeer(t testing.TB, target *Node) *rawPeer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	h, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); h.Close() })
	// Flood publishing sends to every topic peer, mesh or not, so the
	// test need not wait for a heartbeat to graft.
	ps, err := pubsub.NewGossipSub(ctx, h, pubsub.WithFloodPublish(true))
	if err != nil {
		t.Fatal(err)
	}
	topic, err := ps.Join(AnnounceTopic)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := topic.Subscribe(); err != nil { // to be in the mesh
		t.Fatal(err)
	}
	cctx, ccancel := context.WithTimeout(ctx, gossipWait)
	defer ccancel()
	if err := h.Connect(cctx, peer.AddrInfo{ID: target.ID(), Addrs: target.Host().Addrs()}); err != nil {
		t.Fatal(err)
	}
	r := &rawPeer{h: h, ps: ps, topic: topic}
	pollGossip(t, "raw peer and node to see each other on the topic", func() bool {
		return slices.Contains(topic.ListPeers(), target.ID()) && slices.Contains(topicPeers(target), h.ID())
	})
	return r
}

func (r *rawPeer) publish(t testing.TB, data []byte) {
	t.Helper()
	if err := r.topic.Publish(context.Background(), data); err != nil {
		t.Fatal(err)
	}
}

func TestAnnounceRefusesInvalidPayloads(t *testing.T) {
	// A large burst, so every bad message reaches the content checks
	// instead of the rate limit.
	c := startGossipNode(t, false, AnnounceLimits{PeerBurst: 100})
	m := newRawPeer(t, c)
	now := time.Now()
	bad := func(name string) videoWire {
		return videoWire{Cid: videoCid(t, name).String(), Wants: 1, WindowMs: 1000}
	}
	many := make([]videoWire, MaxAnnouncedVideos+1)
	for i := range many {
		many[i] = bad(fmt.Sprint("many", i))
	}
	sent := map[string]int{
		rejectEncoding:  1,
		rejectOversized: 1,
		rejectEntries:   1,
		rejectClock:     1,
		rejectVersion:   1,
	}
	m.publish(t, []byte("garbage"))
	m.publish(t, []byte(`{"v":2,"t":`+fmt.Sprint(now.UnixMilli())+`,"videos":[],"pad":"`+strings.Repeat("x", 20<<10)+`"}`))
	m.publish(t, wireJSON(t, announceVersion, now, many...))
	m.publish(t, wireJSON(t, announceVersion, now.Add(time.Hour), bad("future")))
	m.publish(t, wireJSON(t, announceVersion+1, now, bad("v2")))
	// Then a good one from the same peer: invalid messages cost its score
	// but five do not graylist it.
	good := videoCid(t, "good")
	m.publish(t, wireJSON(t, announceVersion, now.Add(time.Millisecond), videoWire{Cid: good.String(), Wants: 7, WindowMs: 1000}))

	pollGossip(t, "every bad message counted and the good one heard", func() bool {
		c.net.Load().gossip.mu.Lock()
		defer c.net.Load().gossip.mu.Unlock()
		for reason, n := range sent {
			if c.net.Load().gossip.rejects[reason] < int64(n) {
				return false
			}
		}
		return true
	})
	pollGossip(t, "the good announcement", func() bool { return c.Heard()[good].WantsPerSecond == 7 })
	heard := c.Heard()
	if len(heard) != 1 {
		t.Errorf("heard %d videos, want only the good one: %v", len(heard), heard)
	}
	st := c.AnnounceStats()
	if st.Invalid != int64(len(sent)) || st.Accepted != 1 {
		t.Errorf("stats %+v, want %d invalid and 1 accepted", st, len(sent))
	}
	t.Logf("stats after bad payloads: %+v", st)
}

// rawRPC sends one gossipsub RPC carrying msg to target over a fresh
// stream, bypassing the sender's own pubsub (which would refuse to send
// a forgery).
func rawRPC(t testing.TB, from host.Host, target peer.ID, msg *pb.Message) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), gossipWait)
	defer cancel()
	s, err := from.NewStream(ctx, target, pubsub.GossipSubID_v11)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	body, err := proto.Marshal(&pb.RPC{Publish: []*pb.Message{msg}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write(append(binary.AppendUvarint(nil, uint64(len(body))), body...)); err != nil {
		t.Fatal(err)
	}
}

func TestAnnounceRefusesForgedMessages(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	victim := startGossipNode(t, false, AnnounceLimits{})
	c := startGossipNode(t, false, AnnounceLimits{})
	connectNodes(t, victim, c)
	mallory, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"))
	if err != nil {
		t.Fatal(err)
	}
	defer mallory.Close()
	if err := mallory.Connect(ctx, peer.AddrInfo{ID: c.ID(), Addrs: c.Host().Addrs()}); err != nil {
		t.Fatal(err)
	}
	malloryKey := mallory.Peerstore().PrivKey(mallory.ID())
	forged := videoCid(t, "forged")
	data := wireJSON(t, announceVersion, time.Now(), videoWire{Cid: forged.String(), Wants: 1_000_000, WindowMs: 1000})
	topic := AnnounceTopic
	seq := func(i uint64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(time.Now().UnixNano())+i) }

	// 1. Claims to come from the victim, signed with Mallory's key.
	m1 := &pb.Message{From: []byte(victim.ID()), Data: data, Seqno: seq(1), Topic: &topic}
	pub, err := crypto.MarshalPublicKey(malloryKey.GetPublic())
	if err != nil {
		t.Fatal(err)
	}
	m1.Key = pub
	if m1.Signature, err = malloryKey.Sign([]byte("libp2p-pubsub:whatever")); err != nil {
		t.Fatal(err)
	}
	// 2. Claims to come from the victim, unsigned.
	m2 := &pb.Message{From: []byte(victim.ID()), Data: data, Seqno: seq(2), Topic: &topic}
	// 3. Signed by the victim's own identity but with its data swapped
	// afterwards: the signature no longer matches.
	m3 := &pb.Message{From: []byte(victim.ID()), Data: wireJSON(t, announceVersion, time.Now()), Seqno: seq(3), Topic: &topic}
	victimKey := victim.Host().Peerstore().PrivKey(victim.ID())
	signed, err := proto.Marshal(m3)
	if err != nil {
		t.Fatal(err)
	}
	if m3.Signature, err = victimKey.Sign(append([]byte("libp2p-pubsub:"), signed...)); err != nil {
		t.Fatal(err)
	}
	m3.Data = data
	for _, m := range []*pb.Message{m1, m2, m3} {
		rawRPC(t, mallory, c.ID(), m)
	}
	pollGossip(t, "three forgeries refused", func() bool { return c.AnnounceStats().Forged >= 3 })

	// The victim's real announcement still goes through.
	waitGossipLink(t, victim, c)
	realVideo := videoCid(t, "real")
	if err := victim.Announce(ctx, []Announcement{{Video: realVideo, Wants: 1}}); err != nil {
		t.Fatal(err)
	}
	pollGossip(t, "the victim's real announcement", func() bool { return c.Heard()[realVideo].Providers == 1 })
	if h, ok := c.Heard()[forged]; ok {
		t.Errorf("forged video heard: %+v", h)
	}
	st := c.AnnounceStats()
	if st.Forged != 3 || st.Accepted != 1 {
		t.Errorf("stats %+v, want 3 forged and 1 accepted", st)
	}
}

func TestAnnounceFloodIsRateLimited(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	honest := startGossipNode(t, false, AnnounceLimits{})
	c := startGossipNode(t, false, AnnounceLimits{})
	connectNodes(t, honest, c)
	flooder := newRawPeer(t, c)

	// Well-formed, signed announcements, each naming 64 new videos, as
	// fast as the flooder can publish, until C's scoring graylists it.
	start := time.Now()
	sent := 0
	floodVideos := map[cid.Cid]bool{}
	for c.AnnounceStats().Graylisted == 0 {
		if time.Since(start) > gossipWait {
			t.Fatalf("flooder not graylisted after %d messages in %v: %+v", sent, gossipWait, c.AnnounceStats())
		}
		for range 20 {
			videos := make([]videoWire, MaxAnnouncedVideos)
			for j := range videos {
				v := videoCid(t, fmt.Sprint("flood", sent, "/", j))
				floodVideos[v] = true
				videos[j] = videoWire{Cid: v.String(), Wants: 1_000, Bytes: 1 << 30, WindowMs: 1000}
			}
			flooder.publish(t, wireJSON(t, announceVersion, time.Now().Add(time.Duration(sent)*time.Millisecond), videos...))
			sent++
		}
		time.Sleep(50 * time.Millisecond) // pacing the flood, not synchronization
	}
	st := c.AnnounceStats()
	t.Logf("flooder graylisted after %d messages in %v: %+v", sent, time.Since(start).Round(time.Millisecond), st)
	if st.RateLimited == 0 || st.Penalized != 1 {
		t.Errorf("stats %+v, want rate-limited messages and 1 penalized sender", st)
	}
	if st.Accepted > int64(AnnounceLimits{}.withDefaults().PeerBurst) {
		t.Errorf("accepted %d of the flood, want at most the burst %d", st.Accepted, AnnounceLimits{}.withDefaults().PeerBurst)
	}
	for v := range c.Heard() {
		if floodVideos[v] {
			t.Fatalf("a flooded video is still heard after the penalty: %s", v)
		}
	}

	// C still hears honest peers.
	waitGossipLink(t, honest, c)
	fine := videoCid(t, "fine")
	if err := honest.Announce(ctx, []Announcement{{Video: fine, Wants: 1}}); err != nil {
		t.Fatal(err)
	}
	pollGossip(t, "the honest announcement after the flood", func() bool { return c.Heard()[fine].Providers == 1 })
	if h := c.Heard(); len(h) != 1 {
		t.Errorf("heard %d videos after the flood, want only the honest one", len(h))
	}
}
