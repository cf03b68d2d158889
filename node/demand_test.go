package node

import (
	"context"
	"crypto/sha256"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	ma "github.com/multiformats/go-multiaddr"
	mh "github.com/multiformats/go-multihash"
)

// fetchAll has a fresh node connected to seeder read c in full, checks
// the bytes against want, and closes the node, so that nothing fetched
// later can come from it.
func fetchAll(t *testing.T, ctx context.Context, seeder *Node, c cid.Cid, want [32]byte) {
	t.Helper()
	f := newTestNode(t)
	defer f.Close()
	if err := f.Connect(ctx, addrInfoOver(t, seeder, ma.P_TCP)); err != nil {
		t.Fatal(err)
	}
	r, err := f.Open(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := sha256Of(t, r); got != want {
		t.Fatalf("fetched copy of %s differs", c)
	}
}

// TestDemandAttributedToVideoRoot: two viewers read an indexed 6 MiB
// video from a seeder; the seeder's demand for the video's root counts
// every block and byte it served them (leaves included, under the root),
// while a file it never indexed stays out of the video's figures.
func TestDemandAttributedToVideoRoot(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const videoSize, otherSize = 6 << 20, 3<<20 + 5
	seeder := newTestNode(t)
	video, err := seeder.Import(ctx, newRandomReader(61, videoSize))
	if err != nil {
		t.Fatal(err)
	}
	// Unpinned, so not indexed at import (pinned imports are).
	other, err := seeder.Import(ctx, newRandomReader(62, otherSize), ImportNoPin())
	if err != nil {
		t.Fatal(err)
	}
	if err := seeder.IndexVideo(ctx, video.Cid); err != nil {
		t.Fatal(err)
	}
	if d := seeder.Demand(); len(d) != 1 || d[video.Cid] != (VideoDemand{}) {
		t.Fatalf("demand before any fetch = %+v, want one zero entry for %s", d, video.Cid)
	}

	start := time.Now()
	videoHash := sha256Of(t, newRandomReader(61, videoSize))
	fetchAll(t, ctx, seeder, video.Cid, videoHash)
	fetchAll(t, ctx, seeder, video.Cid, videoHash)
	t.Logf("two fetches of the video took %v", time.Since(start))

	d := seeder.Demand()
	if len(d) != 1 {
		t.Fatalf("demand has %d entries, want only the video root: %+v", len(d), d)
	}
	v, ok := d[video.Cid]
	if !ok {
		t.Fatalf("no demand for the video root %s: %+v", video.Cid, d)
	}
	t.Logf("video demand after two viewers: %+v", v)
	const blocksPerFetch = videoSize/ChunkSize + 1 // leaves and the root node
	if v.BlocksSent < 2*blocksPerFetch {
		t.Errorf("blocks sent = %d, want at least %d", v.BlocksSent, 2*blocksPerFetch)
	}
	if v.Wants < v.BlocksSent {
		t.Errorf("wants = %d, fewer than the %d blocks sent", v.Wants, v.BlocksSent)
	}
	if v.BytesSent < 2*videoSize || v.BytesSent > 3*videoSize {
		t.Errorf("bytes sent = %d, want about 2 × %d", v.BytesSent, videoSize)
	}
	if v.Peers != 2 {
		t.Errorf("peers = %d, want 2", v.Peers)
	}
	if v.LastWant.Before(start) || v.LastWant.After(time.Now()) {
		t.Errorf("last want at %v, outside the fetches (from %v)", v.LastWant, start)
	}
	if up := seeder.BytesUploaded(); up < v.BytesSent {
		t.Errorf("bitswap reports %d bytes uploaded, fewer than the %d counted for the video", up, v.BytesSent)
	}

	// A file nobody indexed: its traffic is unattributed.
	before := seeder.UnattributedDemand()
	fetchAll(t, ctx, seeder, other.Cid, sha256Of(t, newRandomReader(62, otherSize)))
	after := seeder.UnattributedDemand()
	if got := seeder.Demand(); len(got) != 1 || got[video.Cid] != v {
		t.Errorf("demand after fetching an unindexed file = %+v, want the video's unchanged %+v", got, v)
	}
	if sent := after.BytesSent - before.BytesSent; sent < otherSize {
		t.Errorf("unattributed bytes sent grew by %d, want at least the %d-byte file", sent, otherSize)
	}
	if after.Wants <= before.Wants {
		t.Errorf("unattributed wants did not grow: %d → %d", before.Wants, after.Wants)
	}
}

// TestDemandNotMultipliedByProviders: one viewer reads a video three
// seeders hold. Its want-haves reach all three, but the seeders' wants
// together stay about one per block: a viewing counts once however many
// nodes provide the video, so "fewer providers first" is not undone by
// demand that grows with the providers.
func TestDemandNotMultipliedByProviders(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const size = 8 << 20
	blocks := int64(size/ChunkSize + 1)
	viewer := newTestNode(t)
	var seeders []*Node
	var video cid.Cid
	for range 3 {
		s := newTestNode(t)
		res, err := s.Import(ctx, newRandomReader(64, size))
		if err != nil {
			t.Fatal(err)
		}
		video = res.Cid
		if err := s.IndexVideo(ctx, video); err != nil {
			t.Fatal(err)
		}
		if err := viewer.Connect(ctx, addrInfoOver(t, s, ma.P_TCP)); err != nil {
			t.Fatal(err)
		}
		seeders = append(seeders, s)
	}
	f, err := viewer.Open(ctx, video)
	if err != nil {
		t.Fatal(err)
	}
	if sha256Of(t, f) != sha256Of(t, newRandomReader(64, size)) {
		t.Fatal("damaged copy")
	}
	f.Close()
	var wants, sent int64
	for _, s := range seeders {
		d := s.Demand()[video]
		wants, sent = wants+d.Wants, sent+d.BlocksSent
	}
	t.Logf("one viewing from three seeders: %d wants, %d blocks sent (%d blocks in the file)", wants, sent, blocks)
	if sent < blocks || wants < blocks || wants > blocks*3/2 {
		t.Errorf("%d wants and %d blocks sent over three seeders for a %d-block viewing: want about one want a block", wants, sent, blocks)
	}
}

// TestDemandForVideoNotLocal: a root indexed before any of it is local
// still gathers the wants peers send for it: demand for a video this node
// could seed but does not have.
func TestDemandForVideoNotLocal(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	seeder, viewer := newTestNode(t), newTestNode(t)
	missing := dagPBCid(t, "a video nobody has")
	if err := seeder.IndexVideo(ctx, missing); err != nil {
		t.Fatal(err)
	}
	if err := viewer.Connect(ctx, addrInfoOver(t, seeder, ma.P_TCP)); err != nil {
		t.Fatal(err)
	}
	octx, ocancel := context.WithTimeout(ctx, 30*time.Second)
	defer ocancel()
	opened := make(chan error, 1)
	go func() {
		f, err := viewer.Open(octx, missing)
		if err == nil {
			f.Close()
		}
		opened <- err
	}()
	pollUntil(t, "a want for the missing root", func() bool { return seeder.Demand()[missing].Wants > 0 })
	ocancel()
	if err := <-opened; err == nil {
		t.Fatal("opening a CID nobody has succeeded")
	}
	if d := seeder.Demand()[missing]; d.BlocksSent != 0 || d.Peers != 1 {
		t.Errorf("demand for the missing root = %+v, want wants from one peer and nothing sent", d)
	}
}

// TestIndexVideoIdempotentAndBounded: indexing walks the local DAG once,
// maps every block (leaves too) to the root, does nothing more when asked
// again, refuses a video that would overflow the index, and needs a
// started node.
func TestIndexVideoIdempotentAndBounded(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	repo := filepath.Join(t.TempDir(), "repo")
	n, err := New(ctx, Config{Repo: repo, Isolated: true})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	video, err := n.Import(ctx, newRandomReader(71, 6<<20))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.IndexVideo(ctx, video.Cid); err == nil {
		t.Fatal("IndexVideo before Start succeeded")
	}
	if d := n.Demand(); d != nil {
		t.Fatalf("demand before Start = %+v, want nil", d)
	}
	if err := n.Start(ctx); err != nil {
		t.Fatal(err)
	}
	tr := n.net.Load().demand
	indexed := func() int {
		tr.mu.Lock()
		defer tr.mu.Unlock()
		return len(tr.blocks)
	}
	const blocks = 6 + 1
	for range 2 {
		if err := n.IndexVideo(ctx, video.Cid); err != nil {
			t.Fatal(err)
		}
		if got := indexed(); got != blocks {
			t.Fatalf("index holds %d blocks, want %d", got, blocks)
		}
	}
	if !tr.isComplete(video.Cid) {
		t.Error("a fully local video is not marked completely indexed")
	}

	// A root that is not local is indexed alone, and stays incomplete so
	// that a later call adds the rest.
	missing := dagPBCid(t, "not here")
	if err := n.IndexVideo(ctx, missing); err != nil {
		t.Fatal(err)
	}
	if got := indexed(); got != blocks+1 || tr.isComplete(missing) {
		t.Errorf("after indexing a missing root: %d blocks, complete %v; want %d, false", got, tr.isComplete(missing), blocks+1)
	}

	// A second video that does not fit is refused whole.
	tr.mu.Lock()
	tr.limit = blocks + 4
	tr.mu.Unlock()
	big, err := n.Import(ctx, newRandomReader(72, 6<<20))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.IndexVideo(ctx, big.Cid); !errors.Is(err, ErrIndexFull) {
		t.Fatalf("indexing past the limit: err = %v, want ErrIndexFull", err)
	}
	if _, ok := n.Demand()[big.Cid]; ok || indexed() != blocks+1 {
		t.Errorf("a refused video left %d entries (want %d) or a demand entry", indexed(), blocks+1)
	}
}

// dagPBCid is a dag-pb CID of a block no node stores.
func dagPBCid(t *testing.T, seed string) cid.Cid {
	t.Helper()
	sum := sha256.Sum256([]byte(seed))
	m, err := mh.Encode(sum[:], mh.SHA2_256)
	if err != nil {
		t.Fatal(err)
	}
	return cid.NewCidV1(cid.DagProtobuf, m)
}

// TestImportCountsDemandAtOnce: a file imported on a running node (what
// `ipfs-tube add` does through a daemon) counts the demand of a viewer
// who fetches it before anything else indexes it: demand counted before
// indexing stays unattributed for good, and the auto-seeding engine
// indexes only at its next round, a minute later (issue 14).
func TestImportCountsDemandAtOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const size = 3 << 20
	seeder := newTestNode(t)
	video, err := seeder.Import(ctx, newRandomReader(65, size))
	if err != nil {
		t.Fatal(err)
	}
	fetchAll(t, ctx, seeder, video.Cid, sha256Of(t, newRandomReader(65, size)))
	if d := seeder.Demand()[video.Cid]; d.BytesSent < size || d.Peers != 1 {
		t.Fatalf("demand for the imported file = %+v, want its %d bytes sent to one peer; unattributed %+v",
			d, size, seeder.UnattributedDemand())
	}
}
