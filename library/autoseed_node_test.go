package library_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
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
	return newLiveMemberWith(t, []library.KeeperOption{library.WithQuota(1 << 30),
		library.WithEvictionOverhead(library.QuotaSlack), library.WithFreeFloor(0)}, opts...)
}

// newLiveMemberWith is newLiveMember with the Keeper's options.
func newLiveMemberWith(t *testing.T, keeperOpts []library.KeeperOption, opts ...library.AutoSeedOption) *liveMember {
	t.Helper()
	ctx := context.Background()
	repo := filepath.Join(t.TempDir(), "repo")
	// Fast announcements, and peers that accept them.
	limits := node.AnnounceLimits{MinInterval: 20 * time.Millisecond, PeerInterval: 10 * time.Millisecond, PeerBurst: 100}
	n, cat := startNodeAndCatalog(t, repo, node.WithAnnounceLimits(limits))
	k, err := library.NewKeeper(ctx, cat, nodelib.Store{N: n}, keeperOpts...)
	if err != nil {
		t.Fatal(err)
	}
	// Rounds a second apart announcing the last two seconds' demand, so
	// what happens in the test reaches the others' scores at once.
	base := []library.AutoSeedOption{library.WithSeedInterval(time.Second), library.WithAnnounceWindow(2 * time.Second)}
	a, err := library.NewAutoSeeder(ctx, cat, k, liveSeedNode{newSeedNode(n)}, append(base, opts...)...)
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

	// The publisher announces the viewing once, and the test waits for
	// the news to arrive.
	if _, err := pub.a.Round(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for vol.n.Heard()[watched].WantsPerSecond == 0 {
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
			// Seeded at a score of 0.1 or more with the publisher as
			// provider: at least 0.2 viewings heard.
			if s.HeardDemand < 0.2 || s.Providers < 1 {
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

// The disk fills while the engine fetches a popular video: the engine
// reserved room, then another program took most of what was left. The
// node's reserve stops the fetch (Badger would otherwise die of SIGBUS on
// the full disk), the round ends with a message and the Keeper's state
// says the disk is full; the node goes on serving its upload and pin to a
// peer, eviction still works on the full disk, and after a reopen every
// stored block re-hashes and the pinned files read back whole.
//
// The disk is a 256 MiB tmpfs. Where mounting one is impossible, the test
// says so and runs on the real disk with a node reserve of all but 192 MiB
// of its free space, so the same fill happens at the reserve.
func TestAutoSeedDiskFills(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const diskSize, bigSize = 256 * mib, 96 * mib
	parent, reserve := t.TempDir(), int64(node.DefaultDiskReserve)
	if mnt, err := mountTmpfs(t, diskSize); err == nil {
		parent = mnt
	} else {
		free, _, ferr := node.FreeSpace(parent)
		if ferr != nil {
			t.Fatal(ferr)
		}
		reserve = free - (diskSize - reserve)
		t.Logf("cannot mount a tmpfs (%v): the disk that fills is the real one with a node reserve of %d MiB (all but %d MiB of its free space)",
			err, reserve/mib, (free-reserve)/mib)
	}
	repo := filepath.Join(parent, "repo")
	free := func() int64 {
		t.Helper()
		f, _, err := node.FreeSpace(parent)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}

	pub, _ := startNodeAndCatalog(t, filepath.Join(t.TempDir(), "pub"))
	pinnedRes, err := pub.Import(ctx, newRandom(601, seedSize))
	if err != nil {
		t.Fatal(err)
	}
	bigRes, err := pub.Import(ctx, newRandom(602, bigSize))
	if err != nil {
		t.Fatal(err)
	}
	pinned, big := pinnedRes.Cid, bigRes.Cid

	vol, cat := startNodeAndCatalog(t, repo, node.WithDiskReserve(reserve))
	connect(t, vol, pub)
	upRes, err := vol.Import(ctx, newRandom(603, seedSize))
	if err != nil {
		t.Fatal(err)
	}
	upload := upRes.Cid
	if err := vol.Pin(ctx, pinned); err != nil {
		t.Fatal(err)
	}
	for _, v := range []library.Video{
		{Cid: upload, Title: "Mine", Size: seedSize, BytesLocal: seedSize, Kept: library.OwnUpload},
		{Cid: pinned, Title: "Kept", Size: seedSize, BytesLocal: seedSize, Kept: library.Pinned},
	} {
		if err := cat.Put(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
	// The Keeper's floor sits a little above the node's reserve, as the
	// defaults do (72 and 64 MiB).
	keeper, err := library.NewKeeper(ctx, cat, nodelib.Store{N: vol}, library.WithQuota(1<<30),
		library.WithFreeFloor(reserve+8*mib))
	if err != nil {
		t.Fatal(err)
	}
	src := newSeedNode(vol)
	src.hear(big, 100, time.Now())
	a, err := library.NewAutoSeeder(ctx, cat, keeper, src, library.WithSeeding(true),
		library.WithFetchesPerRound(1), library.WithFetchTimeout(2*time.Minute))
	if err != nil {
		t.Fatal(err)
	}

	// Slow enough that the other program strikes mid-fetch.
	pub.SetUploadLimit(16 * mib)
	stopSampling := sampleMinFree(parent, 5*time.Millisecond)
	type roundResult struct {
		rep library.RoundReport
		err error
	}
	roundDone := make(chan roundResult, 1)
	start := time.Now()
	go func() {
		rep, err := a.Round(ctx)
		roundDone <- roundResult{rep, err}
	}()
	deadline := time.Now().Add(90 * time.Second)
	for src.localBytes(ctx, big) < 16*mib {
		if time.Now().After(deadline) {
			t.Fatalf("the fetch did not start: %d bytes", src.localBytes(ctx, big))
		}
		select {
		case r := <-roundDone:
			t.Fatalf("round ended before the disk filled: %+v, %v", r.rep, r.err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	// Another program takes all but 100 MiB: less than the fetch still
	// needs, more than the reserve.
	hog := filepath.Join(parent, "hog")
	hogSize := free() - 100*mib
	writeHog(t, hog, hogSize)
	r := <-roundDone
	took := time.Since(start)
	minFree := stopSampling()
	if r.err != nil {
		t.Fatalf("round on a filling disk: %v", r.err)
	}
	fetchedBig := src.localBytes(ctx, big)
	t.Logf("fill: %d MiB of the %d MiB video fetched, %d MiB taken by another program; round ended after %v with %q; lowest free %.1f MiB (reserve %d MiB), refusals %d",
		fetchedBig/mib, bigSize/mib, hogSize/mib, took.Round(time.Millisecond), r.rep.Message,
		float64(minFree)/mib, reserve/mib, vol.DiskRefusals())
	if len(r.rep.Fetched) != 0 || !strings.Contains(r.rep.Message, "almost full") {
		t.Fatalf("round: %+v, want nothing fetched and a message that the disk is full", r.rep)
	}
	if vol.DiskRefusals() == 0 || fetchedBig >= bigSize {
		t.Fatalf("the fetch was not stopped by the reserve: %d refusals, %d bytes", vol.DiskRefusals(), fetchedBig)
	}
	// The reserve held: free space never went much below it (the writes
	// admitted just before the other program struck, and Badger's own).
	if minFree < reserve-8*mib {
		t.Errorf("free space fell to %.1f MiB, reserve %d MiB", float64(minFree)/mib, reserve/mib)
	}
	if p, err := vol.IsPinned(ctx, big); err != nil || p {
		t.Fatalf("the cut video is pinned (%v, %v)", p, err)
	}
	if v, err := cat.Get(ctx, big); err != nil || v.Kept != library.Cache || v.BytesLocal == 0 {
		t.Fatalf("the cut video's record: %+v, %v; want cache with what arrived", v, err)
	}
	// The state the Seeding page and `ipfs-tube seeding` show.
	st, err := keeper.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !st.FloorReached || !strings.Contains(st.Message, "almost full") {
		t.Fatalf("keeper state %+v: want the floor reached and a message", st)
	}
	// The next round neither retries nor fails; it says the same.
	if rep, err := a.Round(ctx); err != nil || len(rep.Fetched) != 0 || !strings.Contains(rep.Message, "almost full") {
		t.Fatalf("round on the full disk: %+v, %v", rep, err)
	}
	if err := vol.Pin(ctx, bigRes.Cid); !errors.Is(err, node.ErrDiskFull) {
		t.Fatalf("pin on the full disk: %v, want node.ErrDiskFull", err)
	}

	// The publisher leaves; a peer gets the upload and the pin from the
	// volunteer alone.
	pub.Close()
	peerNode, _ := startNodeAndCatalog(t, filepath.Join(t.TempDir(), "peer"))
	connect(t, peerNode, vol)
	for _, f := range []struct {
		c    cid.Cid
		seed uint64
	}{{upload, 603}, {pinned, 601}} {
		if got := readWhole(t, ctx, peerNode, f.c); got != sha256Of(t, newRandom(f.seed, seedSize)) {
			t.Fatalf("the peer read a damaged %s from the full volunteer", f.c)
		}
	}

	// Eviction works on the full disk: the cut video goes and some space
	// comes back (value-log files that need no more room than there is).
	before := free()
	freed, err := nodelib.Store{N: vol}.Evict(ctx, big)
	after := free()
	t.Logf("evicting the cut video on the full disk: %d MiB of blocks deleted, free %.1f → %.1f MiB (%v)",
		freed/mib, float64(before)/mib, float64(after)/mib, err)
	if err != nil && !errors.Is(err, library.ErrDiskFull) {
		t.Fatalf("evict on the full disk: %v", err)
	}
	if freed < fetchedBig-mib || src.localBytes(ctx, big) != 0 || after <= before {
		t.Fatalf("evict on the full disk: %d of %d bytes deleted, %d left, free %d → %d",
			freed, fetchedBig, src.localBytes(ctx, big), before, after)
	}

	// Reopened (the other program's file still there): nothing is lost.
	if err := cat.Close(); err != nil {
		t.Fatal(err)
	}
	if err := vol.Close(); err != nil {
		t.Fatal(err)
	}
	vol2, err := node.New(ctx, node.Config{Repo: repo, Isolated: true}, node.WithDiskReserve(reserve))
	if err != nil {
		t.Fatalf("reopen on the full disk: %v", err)
	}
	t.Cleanup(func() { vol2.Close() })
	ver, err := vol2.VerifyBlocks(ctx)
	if err != nil || len(ver.Corrupt) != 0 {
		t.Fatalf("verify after reopen: %+v, %v", ver, err)
	}
	t.Logf("after reopen: %d blocks (%.1f MiB) re-hashed, all intact", ver.Blocks, float64(ver.Bytes)/mib)
	for _, f := range []struct {
		c    cid.Cid
		seed uint64
	}{{upload, 603}, {pinned, 601}} {
		if p, err := vol2.IsPinned(ctx, f.c); err != nil || !p {
			t.Fatalf("%s lost its pin (%v, %v)", f.c, p, err)
		}
		if got := readWhole(t, ctx, vol2, f.c); got != sha256Of(t, newRandom(f.seed, seedSize)) {
			t.Fatalf("%s damaged after the disk filled", f.c)
		}
	}
	// The other program goes; GC gives back what eviction could not.
	if err := os.Remove(hog); err != nil {
		t.Fatal(err)
	}
	if _, err := vol2.GC(ctx); err != nil {
		t.Fatal(err)
	}
	du, err := node.DiskUsage(repo)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("after the disk emptied and a GC: repo %.1f MiB", float64(du)/mib)
	if du > 2*seedSize+library.QuotaSlack {
		t.Errorf("repo takes %d MiB after GC; the cut video's space did not come back", du/mib)
	}
}

// writeHog writes size bytes to path, as another program filling the disk.
func writeHog(t *testing.T, path string, size int64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(f, newRandom(999, size)); err != nil {
		t.Fatalf("writing the hog: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// readWhole reads c through n and returns its sha256.
func readWhole(t *testing.T, ctx context.Context, n *node.Node, c cid.Cid) [32]byte {
	t.Helper()
	f, err := n.Open(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return sha256Of(t, f)
}

func (s *seedNode) localBytes(ctx context.Context, c cid.Cid) int64 {
	n, _ := s.LocalBytes(ctx, c)
	return n
}

// sha256Of hashes what r yields.
func sha256Of(t *testing.T, r io.Reader) [32]byte {
	t.Helper()
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		t.Fatal(err)
	}
	return [32]byte(h.Sum(nil))
}
