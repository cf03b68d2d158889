package publish_test

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ipfs/go-cid"

	"github.com/ipfs-tube/ipfs-tube/internal/nodelib"
	"github.com/ipfs-tube/ipfs-tube/internal/testvideo"
	"github.com/ipfs-tube/ipfs-tube/internal/uploadtest"
	"github.com/ipfs-tube/ipfs-tube/library"
	"github.com/ipfs-tube/ipfs-tube/library/publish"
	"github.com/ipfs-tube/ipfs-tube/node"
)

// cacheVideo imports size random bytes unpinned and records them as a
// cached video last watched at `watched`.
func cacheVideo(t *testing.T, n *node.Node, cat *library.Catalog, seed uint64, size int64, watched time.Time) cid.Cid {
	t.Helper()
	ctx := context.Background()
	src := io.LimitReader(rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)}), size)
	res, err := n.Import(ctx, src, node.ImportNoPin())
	if err != nil {
		t.Fatal(err)
	}
	v := library.Video{Cid: res.Cid, Title: "cached", Size: size, BytesLocal: size, Kept: library.Cache,
		Added: watched, WatchCount: 1, FirstWatched: watched, LastWatched: watched}
	if err := cat.Put(ctx, v); err != nil {
		t.Fatal(err)
	}
	return res.Cid
}

func localBytes(t *testing.T, n *node.Node, c cid.Cid) int64 {
	t.Helper()
	ranges, err := n.LocalRanges(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, r := range ranges {
		sum += r.End - r.Start
	}
	return sum
}

// TestUploadReservesQuota: an upload bigger than what the quota has free
// next to a full cache evicts cached videos (least recently watched
// first) before it imports; one that own uploads alone could not fit in
// the quota is refused before anything is imported or evicted, with a
// message saying why.
func TestUploadReservesQuota(t *testing.T) {
	ctx := testCtx(t)
	n, cat := uploadtest.Backend(t)
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	const mib = 1 << 20
	var cached []cid.Cid
	for i := range 3 {
		cached = append(cached, cacheVideo(t, n, cat, uint64(i+1), 8*mib, base.Add(time.Duration(i)*time.Hour)))
	}
	keeper, err := library.NewKeeper(ctx, cat, nodelib.Store{N: n})
	if err != nil {
		t.Fatal(err)
	}
	st, err := keeper.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The cache fills the quota: the keeper's target is exactly the use now.
	if _, err := keeper.SetQuota(ctx, st.Used+library.DefaultEvictionOverhead-library.QuotaSlack); err != nil {
		t.Fatal(err)
	}
	for _, c := range cached {
		if localBytes(t, n, c) != 8*mib {
			t.Fatalf("setting a full quota evicted %s already", c)
		}
	}
	svc := uploadtest.Service(n, cat, publish.WithReserver(keeper))

	path := uploadtest.VideoAs(t, bigVideo, "big_upload.mp4")
	res, err := svc.Upload(ctx, path, nil)
	if err != nil {
		t.Fatalf("upload next to a full cache: %v", err)
	}
	if localBytes(t, n, cached[0]) != 0 {
		t.Error("the least recently watched cached video was not evicted for the upload")
	}
	if v, err := cat.Get(ctx, cached[0]); err != nil || v.Kept.Has(library.Cache) {
		t.Errorf("evicted video's record: %+v, %v", v, err)
	}
	if localBytes(t, n, cached[2]) != 8*mib {
		t.Error("the most recently watched cached video went too, though the oldest two made room")
	}
	if v, err := cat.Get(ctx, res.File); err != nil || !v.Kept.Has(library.OwnUpload) {
		t.Fatalf("upload not recorded as own: %+v, %v", v, err)
	}

	// Own uploads alone now nearly fill a smaller quota: the next upload
	// is refused, with nothing imported and nothing evicted.
	if _, err := keeper.SetQuota(ctx, res.Size+100<<10); err != nil {
		t.Fatal(err)
	}
	survivors := map[cid.Cid]int64{}
	for _, c := range cached {
		survivors[c] = localBytes(t, n, c)
	}
	pinsBefore := uploadtest.Pins(t, n)
	videosBefore := uploadtest.CatalogSize(t, cat)
	other := uploadtest.VideoAs(t, testvideo.Spec{Duration: 3 * time.Second}, "second.mp4")
	_, err = svc.Upload(ctx, other, nil)
	if !errors.Is(err, library.ErrQuota) {
		t.Fatalf("upload past the quota by own uploads alone: %v, want ErrQuota", err)
	}
	msg := publish.Message(err)
	t.Logf("refused: %v; message %q", err, msg)
	if !strings.Contains(msg, "storage quota") || !strings.Contains(err.Error(), "own uploads and pins would take") {
		t.Errorf("refusal does not say why: %v / %q", err, msg)
	}
	if got := uploadtest.Pins(t, n); len(got) != len(pinsBefore) {
		t.Errorf("a refused upload changed the pins: %d, were %d", len(got), len(pinsBefore))
	}
	if got := uploadtest.CatalogSize(t, cat); got != videosBefore {
		t.Errorf("a refused upload changed the catalog: %d videos, were %d", got, videosBefore)
	}
	for c, was := range survivors {
		if got := localBytes(t, n, c); got != was {
			t.Errorf("a refused upload evicted %s (%d of %d bytes left)", c, got, was)
		}
	}

	// Add (the command line's) reserves the same way, for any file.
	junk := writeFile(t, "notes.bin", 4*mib)
	f, err := os.Open(junk)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := svc.Add(ctx, junk, f, 4*mib, nil); !errors.Is(err, library.ErrQuota) {
		t.Errorf("add past the quota: %v, want ErrQuota", err)
	}
}

func writeFile(t *testing.T, name string, size int64) string {
	t.Helper()
	p := t.TempDir() + "/" + name
	data, err := io.ReadAll(io.LimitReader(rand.NewChaCha8([32]byte{9}), size))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestAddPublishesVideosOnly: the command line's Add publishes and
// records a video as Upload would, and imports and pins any other file
// (text, an empty file) without refusing it or telling the catalog.
func TestAddPublishesVideosOnly(t *testing.T) {
	ctx := testCtx(t)
	n, cat := uploadtest.Backend(t)
	svc := uploadtest.Service(n, cat)
	add := func(path string) publish.Result {
		t.Helper()
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			t.Fatal(err)
		}
		res, err := svc.Add(ctx, path, f, fi.Size(), nil)
		if err != nil {
			t.Fatalf("add %s: %v", path, err)
		}
		return res
	}
	video := add(uploadtest.VideoAs(t, testvideo.Spec{Duration: 2 * time.Second}, "clip.mp4"))
	if !video.Dir.Defined() || video.Title != "clip" {
		t.Errorf("video added: %+v, want a directory and the title clip", video)
	}
	if v, err := cat.Get(ctx, video.File); err != nil || !v.Kept.Has(library.OwnUpload) || v.Title != "clip" || v.Dir != video.Dir {
		t.Errorf("catalog entry of the added video: %+v, %v", v, err)
	}
	text := add(writeFile(t, "notes.txt", 1000))
	empty := writeFile(t, "empty", 0)
	blank := add(empty)
	pins := uploadtest.Pins(t, n)
	for _, r := range []publish.Result{text, blank} {
		if r.Dir.Defined() || !r.File.Defined() || !pins[r.File] {
			t.Errorf("other file added: %+v (pinned %v), want only its file, pinned", r, pins[r.File])
		}
		if _, err := cat.Get(ctx, r.File); !errors.Is(err, library.ErrNotFound) {
			t.Errorf("other file %s is in the catalog (%v)", r.File, err)
		}
	}
	if got := uploadtest.CatalogSize(t, cat); got != 1 {
		t.Errorf("catalog has %d videos, want the one video", got)
	}
}
