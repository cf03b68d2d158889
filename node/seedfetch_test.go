package node

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	ma "github.com/multiformats/go-multiaddr"
)

// withVolunteer starts a source holding count random files of size and
// a volunteer, capped at limit for seeding, connected to it.
func withVolunteer(ctx context.Context, t *testing.T, seed uint64, count int, size, limit int64) (volunteer *Node, files []cid.Cid) {
	t.Helper()
	source := newTestNode(t)
	files = importRandomFiles(ctx, t, source, seed, count, size)
	volunteer = startNode(t, Config{Repo: filepath.Join(t.TempDir(), "repo"), Isolated: true, DownloadLimit: limit})
	if err := volunteer.Connect(ctx, addrInfoOver(t, source, ma.P_TCP)); err != nil {
		t.Fatal(err)
	}
	return volunteer, files
}

// seedPin pins c for seeding on n in the background; the channel gets
// its result.
func seedPin(ctx context.Context, n *Node, c cid.Cid) chan error {
	done := make(chan error, 1)
	go func() { done <- n.Pin(ctx, c, PinForSeeding()) }()
	return done
}

// seedingFetch has a volunteer capped at limit pin a video of fileSize for
// seeding.
func seedingFetch(fileSize int64) capTransfer {
	return func(ctx context.Context, t *testing.T, limit int64) (func() int64, chan error) {
		volunteer, files := withVolunteer(ctx, t, 600, 1, fileSize, limit)
		return volunteer.BytesFetchedForSeeding, seedPin(ctx, volunteer, files[0])
	}
}

// TestDownloadCapSparesUserFetches: under a tiny seeding cap, what the
// user fetches (a file read, a user's pin) goes at full speed and draws
// nothing from the bucket.
func TestDownloadCapSparesUserFetches(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// At 64 KiB/s, 16 MiB would take 4 minutes.
	volunteer, files := withVolunteer(ctx, t, 700, 2, 16*mib, 64<<10)
	start := time.Now()
	readPrefix(ctx, t, volunteer, files[0], 16*mib)
	if err := volunteer.Pin(ctx, files[1]); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	t.Logf("user read and pin of 2×16 MiB under a 64 KiB/s seeding cap: %v", took.Round(time.Millisecond))
	if took > time.Minute {
		t.Fatalf("user fetches took %v under a 64 KiB/s seeding cap: they waited on it", took)
	}
	if got := volunteer.BytesFetchedForSeeding(); got != 0 {
		t.Fatalf("user fetches counted %d bytes as seeding", got)
	}
}

// TestSeedingPinPaysOnlyForMissingBlocks: a video half on disk costs the
// seeding fetch only the other half.
func TestSeedingPinPaysOnlyForMissingBlocks(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	volunteer, files := withVolunteer(ctx, t, 800, 1, 16*mib, 0)
	video := files[0]
	readPrefix(ctx, t, volunteer, video, 6*mib, ReadAhead(0))
	if err := volunteer.Pin(ctx, video, PinForSeeding()); err != nil {
		t.Fatal(err)
	}
	if got := volunteer.BytesFetchedForSeeding(); got != 10*mib {
		t.Fatalf("seeding pin fetched %d bytes of a video with 6 of 16 MiB local, want exactly 10 MiB", got)
	}
	if pinned, err := volunteer.IsPinned(ctx, video); err != nil || !pinned {
		t.Fatalf("video not pinned after the seeding pin: %v %v", pinned, err)
	}
}

// TestOpenForSeedingDrawsFromTheCap: a background Open pays for its root.
func TestOpenForSeedingDrawsFromTheCap(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	volunteer, files := withVolunteer(ctx, t, 900, 1, 8*mib, 0)
	f, err := volunteer.Open(ctx, files[0], ReadAhead(0), OpenForSeeding())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Size() != 8*mib {
		t.Fatalf("size %d, want %d", f.Size(), 8*mib)
	}
	if got := volunteer.BytesFetchedForSeeding(); got <= 0 || got > 64<<10 {
		t.Fatalf("opening for seeding counted %d bytes, want the root block's few hundred", got)
	}
}

func TestSetDownloadLimitTakesEffectAtOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	volunteer, files := withVolunteer(ctx, t, 1000, 1, 64*mib, 0)
	if got := volunteer.DownloadLimit(); got != 0 {
		t.Fatalf("default download limit %d, want 0 (unlimited)", got)
	}
	volunteer.SetDownloadLimit(4 * mib)
	done := seedPin(ctx, volunteer, files[0])
	pollFor(t, 30*time.Second, "the seeding fetch to start", func() bool { return volunteer.BytesFetchedForSeeding() > 0 })
	checkLimitAppliesAtOnce(t, volunteer.SetDownloadLimit, volunteer.DownloadLimit, volunteer.BytesFetchedForSeeding, done)
}
