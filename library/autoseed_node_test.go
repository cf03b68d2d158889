package library_test

import (
	"context"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/ipfs-tube/ipfs-tube/internal/nodelib"
	"github.com/ipfs-tube/ipfs-tube/library"
	"github.com/ipfs-tube/ipfs-tube/node"
)

// liveSeedNode is seedNode with the node's own demand, gossip, provider
// counts and announcements: the whole adapter the app needs.
type liveSeedNode struct{ *seedNode }

func (s liveSeedNode) live() nodelib.Seed { return nodelib.Seed{Store: nodelib.Store{N: s.n}} }

func (s liveSeedNode) IndexVideo(ctx context.Context, c cid.Cid) error {
	return s.live().IndexVideo(ctx, c)
}
func (s liveSeedNode) CountProviders(ctx context.Context, c cid.Cid, max int) (int, error) {
	return s.live().CountProviders(ctx, c, max)
}
func (s liveSeedNode) Demand() map[cid.Cid]library.VideoDemand { return s.live().Demand() }
func (s liveSeedNode) Heard() map[cid.Cid]library.HeardVideo   { return s.live().Heard() }
func (s liveSeedNode) Announce(ctx context.Context, entries []library.Announcement) error {
	return s.live().Announce(ctx, entries)
}

// liveMember is one node of the live test with its catalog, Keeper and
// engine.
type liveMember struct {
	n   *node.Node
	cat *library.Catalog
	k   *library.Keeper
	a   *library.AutoSeeder
}

func newLiveMember(t *testing.T, opts ...library.AutoSeedOption) *liveMember {
	t.Helper()
	ctx := context.Background()
	repo := filepath.Join(t.TempDir(), "repo")
	// Fast announcements, and peers that accept them.
	limits := node.AnnounceLimits{MinInterval: 20 * time.Millisecond, PeerInterval: 10 * time.Millisecond, PeerBurst: 100}
	n, cat := startNodeAndCatalog(t, repo, node.WithAnnounceLimits(limits))
	k, err := library.NewKeeper(ctx, cat, nodelib.Store{N: n}, library.WithQuota(1<<30),
		library.WithEvictionOverhead(library.QuotaSlack), library.WithFreeFloor(0))
	if err != nil {
		t.Fatal(err)
	}
	a, err := library.NewAutoSeeder(ctx, cat, k, liveSeedNode{newSeedNode(n)}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return &liveMember{n: n, cat: cat, k: k, a: a}
}

func connect(t *testing.T, a, b *node.Node) {
	t.Helper()
	if err := a.Connect(context.Background(), peer.AddrInfo{ID: b.ID(), Addrs: b.Addrs()}); err != nil {
		t.Fatal(err)
	}
}

// With the node's real demand counting, gossip and DHT: a viewer watches
// one of a publisher's two videos; the publisher's announcements carry
// that demand; the volunteer seeds that video and not the other; with the
// publisher gone, a newcomer plays it from the volunteer.
func TestAutoSeedLiveNodes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pub := newLiveMember(t) // seeding off: it only announces its uploads
	vol := newLiveMember(t, library.WithSeeding(true), library.WithMinSeedScore(0.1))
	viewer := newLiveMember(t)
	connect(t, vol.n, pub.n)
	connect(t, viewer.n, pub.n)
	connect(t, viewer.n, vol.n)

	var videos []cid.Cid
	for i := range 2 {
		res, err := pub.n.Import(ctx, newRandom(uint64(500+i), seedSize))
		if err != nil {
			t.Fatal(err)
		}
		if err := pub.cat.Put(ctx, library.Video{Cid: res.Cid, Title: "Upload", Size: seedSize, BytesLocal: seedSize, Kept: library.OwnUpload}); err != nil {
			t.Fatal(err)
		}
		videos = append(videos, res.Cid)
	}
	watched, other := videos[0], videos[1]
	if _, err := pub.a.Round(ctx); err != nil { // indexes the uploads for demand
		t.Fatal(err)
	}
	f, err := viewer.n.Open(ctx, watched)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := io.Copy(io.Discard, f); err != nil || n != seedSize {
		t.Fatalf("viewer read %d bytes: %v", n, err)
	}
	f.Close()

	// The publisher announces the viewing once. A later announcement
	// would carry the demand since this one (none) and replace it before
	// a busy volunteer has read it; real rounds are a minute apart, the
	// test's are not, so it waits for the news to arrive.
	if _, err := pub.a.Round(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for vol.n.Heard()[watched].Wants == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the volunteer never heard of the viewing: %+v", vol.n.Heard())
		}
		<-time.After(20 * time.Millisecond)
	}
	for {
		rep, err := vol.a.Round(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Fetched) > 0 {
			if !cidsEqual(rep.Fetched, []cid.Cid{watched}) {
				t.Fatalf("volunteer fetched %v, want the watched video", rep.Fetched)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("volunteer never seeded the watched video; scores %+v", vol.a.Scores())
		}
		<-time.After(50 * time.Millisecond)
	}
	for _, s := range vol.a.Scores() {
		switch {
		case s.Cid.Equals(watched):
			t.Logf("watched video on the volunteer: %+v", s)
			if s.HeardDemand < 0.5 || s.Providers < 1 {
				t.Fatalf("watched video scored %+v: want a viewing heard and the publisher as provider", s)
			}
		case s.Cid.Equals(other) && s.Candidate:
			t.Fatalf("unwatched video is a candidate: %+v", s)
		}
	}
	// The volunteer's own announcement reaches the viewer.
	waitFor(t, "the viewer to hear the volunteer", func() bool {
		vol.a.Round(ctx)
		return viewer.n.Heard()[watched].Providers >= 2
	})

	// Publisher gone: a newcomer connected to the volunteer alone plays it.
	pub.n.Close()
	newcomer := newLiveMember(t)
	connect(t, newcomer.n, vol.n)
	f, err = newcomer.n.Open(ctx, watched)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if n, err := io.Copy(io.Discard, f); err != nil || n != seedSize {
		t.Fatalf("newcomer read %d bytes from the volunteer: %v", n, err)
	}
}
