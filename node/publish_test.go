package node

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/ipfs-tube/ipfs-tube/internal/kubotest"
)

// testPoster is a real JPEG: a gradient, so its bytes depend on the seed.
func testPoster(t testing.TB, seed uint8) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 160, 90))
	for y := 0; y < 90; y++ {
		for x := 0; x < 160; x++ {
			img.Set(x, y, color.RGBA{uint8(x) + seed, uint8(y * 2), seed, 0xff})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// readFile reads a whole file from n (from peers when not local).
func readFile(t testing.TB, ctx context.Context, n *Node, c cid.Cid) []byte {
	t.Helper()
	f, err := n.Open(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

var testMeta = VideoMetadata{
	Title:       "Blender: a talk",
	Description: "Recorded live.\nSecond line, with \"quotes\" & <angles>.",
	DurationS:   754.25,
	Width:       1920,
	Height:      1080,
	MIME:        "video/mp4",
}

func TestPublishVideoRoundTrip(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	n := newTestNode(t)
	video := importRandom(t, n, 50, 3<<20+17)
	poster := testPoster(t, 1)

	dir, err := n.PublishVideo(ctx, video, "talk.mp4", poster, testMeta)
	if err != nil {
		t.Fatal(err)
	}
	if dir.Version() != 1 || dir.Type() != cid.DagProtobuf {
		t.Errorf("directory CID %s: want CIDv1 dag-pb", dir)
	}
	v, err := n.ResolveVideo(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Cid.Equals(video) || v.Name != "talk.mp4" || !v.Dir.Equals(dir) || v.Size != 3<<20+17 {
		t.Fatalf("resolved to %+v", v)
	}
	want := testMeta
	want.Version, want.Video, want.Cid, want.Poster = MetadataVersion, "talk.mp4", video.String(), PosterFile
	if v.Metadata == nil || *v.Metadata != want {
		t.Fatalf("metadata %+v, want %+v", v.Metadata, want)
	}
	if !v.Poster.Defined() || !bytes.Equal(readFile(t, ctx, n, v.Poster), poster) {
		t.Fatal("poster missing or changed")
	}
	if pinned, err := n.IsPinned(ctx, dir); err != nil || !pinned {
		t.Fatalf("directory pinned: %v, %v", pinned, err)
	}

	// Deterministic: the same inputs give the same directory; any change
	// gives another.
	again, err := n.PublishVideo(ctx, video, "talk.mp4", poster, testMeta)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Equals(dir) {
		t.Errorf("published twice: %s, then %s", dir, again)
	}
	retitled := testMeta
	retitled.Title = "Another title"
	for what, publish := range map[string]func() (cid.Cid, error){
		"title":  func() (cid.Cid, error) { return n.PublishVideo(ctx, video, "talk.mp4", poster, retitled) },
		"name":   func() (cid.Cid, error) { return n.PublishVideo(ctx, video, "talk2.mp4", poster, testMeta) },
		"poster": func() (cid.Cid, error) { return n.PublishVideo(ctx, video, "talk.mp4", testPoster(t, 2), testMeta) },
	} {
		other, err := publish()
		if err != nil {
			t.Fatal(err)
		}
		if other.Equals(dir) {
			t.Errorf("another %s gave the same directory %s", what, dir)
		}
	}

	// Without a poster: no entry, no poster in the metadata.
	bare, err := n.PublishVideo(ctx, video, "talk.mp4", nil, VideoMetadata{Title: "No poster"})
	if err != nil {
		t.Fatal(err)
	}
	v, err = n.ResolveVideo(ctx, bare)
	if err != nil {
		t.Fatal(err)
	}
	if v.Poster.Defined() || v.Metadata.Poster != "" || v.Metadata.Title != "No poster" || !v.Cid.Equals(video) {
		t.Errorf("published without poster: %+v, metadata %+v", v, v.Metadata)
	}
	if names := dirNames(t, ctx, n, bare); !slices.Equal(names, []string{"talk.mp4", MetadataFile}) {
		t.Errorf("entries %v", names)
	}
}

// dirNames lists a directory's entry names in link order.
func dirNames(t testing.TB, ctx context.Context, n *Node, dir cid.Cid) []string {
	t.Helper()
	nd, err := n.dagService().Get(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range nd.Links() {
		names = append(names, l.Name)
	}
	return names
}

// TestPublishVideoFromPeer: another node resolves the published directory
// over bitswap and gets title and poster.
func TestPublishVideoFromPeer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	creator, viewer := newTestNode(t), newTestNode(t)
	video := importRandom(t, creator, 51, 2<<20)
	poster := testPoster(t, 3)
	dir, err := creator.PublishVideo(ctx, video, "clip.webm", poster, testMeta)
	if err != nil {
		t.Fatal(err)
	}
	if err := viewer.Connect(ctx, addrInfoOver(t, creator, ma.P_TCP)); err != nil {
		t.Fatal(err)
	}
	v, err := viewer.ResolveVideo(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Cid.Equals(video) || v.Metadata == nil || v.Metadata.Title != testMeta.Title || v.Duration() != 754250*time.Millisecond {
		t.Fatalf("viewer resolved %+v", v)
	}
	if !bytes.Equal(readFile(t, ctx, viewer, v.Poster), poster) {
		t.Error("viewer got another poster")
	}
}

// TestPublishVideoSurvivesGC: the directory pin alone keeps the video, the
// poster and the metadata; unpinning it lets GC take them.
func TestPublishVideoSurvivesGC(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	n := newTestNode(t)
	res, err := n.Import(ctx, newRandomReader(52, 3<<20), ImportNoPin())
	if err != nil {
		t.Fatal(err)
	}
	poster := testPoster(t, 4)
	dir, err := n.PublishVideo(ctx, res.Cid, "v.mp4", poster, testMeta)
	if err != nil {
		t.Fatal(err)
	}
	// Something unpinned, so the GC has work to do.
	if _, err := n.Import(ctx, newRandomReader(53, 1<<20), ImportNoPin()); err != nil {
		t.Fatal(err)
	}
	gc, err := n.GC(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if gc.BlocksRemoved == 0 {
		t.Fatal("GC removed nothing; the test proves nothing")
	}
	v, err := n.ResolveVideo(ctx, dir)
	if err != nil {
		t.Fatalf("after GC: %v", err)
	}
	if got := readFile(t, ctx, n, v.Cid); sha256Of(t, bytes.NewReader(got)) != sha256Of(t, newRandomReader(52, 3<<20)) {
		t.Error("video changed after GC")
	}
	if !bytes.Equal(readFile(t, ctx, n, v.Poster), poster) {
		t.Error("poster changed after GC")
	}

	if err := n.Unpin(ctx, dir); err != nil {
		t.Fatal(err)
	}
	if _, err := n.GC(ctx); err != nil {
		t.Fatal(err)
	}
	for _, c := range []cid.Cid{dir, res.Cid, v.Poster} {
		if has, _ := n.blockstore.Has(ctx, c); has {
			t.Errorf("%s still stored after unpinning the directory and GC", c)
		}
	}
}

func TestPublishVideoBadInputs(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	n, peer := newTestNode(t), newTestNode(t)
	video := importRandom(t, n, 54, 2<<20+1)
	// Only the peer has this one; publishing must not fetch it, even
	// connected.
	remote := importRandom(t, peer, 55, 1<<20)
	if err := n.Connect(ctx, addrInfoOver(t, peer, ma.P_TCP)); err != nil {
		t.Fatal(err)
	}
	// A file with a hole: its second leaf is gone.
	holey := importRandom(t, n, 56, 2<<20+3)
	nd, err := n.offlineDAG.Get(ctx, holey)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.blockstore.DeleteBlock(ctx, nd.Links()[1].Cid); err != nil {
		t.Fatal(err)
	}
	dir := makeDir(t, n, false, map[string]cid.Cid{"a.mp4": video})
	poster := testPoster(t, 5)
	pinsBefore, err := n.Pins(ctx)
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name   string
		file   cid.Cid
		entry  string
		poster []byte
		want   string // in the message
		is     error
	}{
		{"undefined file", cid.Undef, "v.mp4", poster, "no file CID", nil},
		{"file not local", remote, "v.mp4", poster, "not in the local store", nil},
		{"file incomplete", holey, "v.mp4", poster, "1 blocks missing", nil},
		{"a directory", dir, "v.mp4", poster, "Directory", ErrNotFile},
		{"empty name", video, "", poster, "empty name", ErrBadName},
		{"slash", video, "a/b.mp4", poster, "slash", ErrBadName},
		{"dot-dot", video, "..", poster, `".."`, ErrBadName},
		{"metadata name", video, MetadataFile, poster, "reserved", ErrBadName},
		{"poster name", video, "Poster.JPG", poster, "reserved", ErrBadName},
		{"poster not jpeg", video, "v.mp4", []byte("\x89PNG\r\n\x1a\n"), "not a JPEG", nil},
		{"huge description", video, "v.mp4", poster, "shorten the description", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			meta := testMeta
			if tc.name == "huge description" {
				meta.Description = strings.Repeat("x", maxMetadataSize)
			}
			start := time.Now()
			got, err := n.PublishVideo(ctx, tc.file, tc.entry, tc.poster, meta)
			if err == nil {
				t.Fatalf("published %s", got)
			}
			t.Logf("after %v: %v", time.Since(start).Round(time.Millisecond), err)
			if !strings.Contains(err.Error(), tc.want) || (tc.is != nil && !errors.Is(err, tc.is)) {
				t.Errorf("error %q, want one saying %q (%v)", err, tc.want, tc.is)
			}
			if time.Since(start) > 5*time.Second {
				t.Errorf("took %v: waited for the network?", time.Since(start))
			}
		})
	}
	if has, _ := n.blockstore.Has(ctx, remote); has {
		t.Error("publishing fetched the remote file")
	}
	pinsAfter, err := n.Pins(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(pinsAfter) != len(pinsBefore) {
		t.Errorf("pins: %d before the failed publishes, %d after", len(pinsBefore), len(pinsAfter))
	}
}

// TestInteropKuboReadsPublishedVideo: a Kubo node connected to ours lists
// the published directory and reads its metadata and poster (what any IPFS
// client does with a shared link), and `ipfs add -r` of the same three
// files gives the same directory CID.
func TestInteropKuboReadsPublishedVideo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	k := kubotest.StartDaemon(t)
	n := newTestNode(t)
	video := importRandom(t, n, 57, 3<<20+5)
	poster := testPoster(t, 6)
	dir, err := n.PublishVideo(ctx, video, "My talk (final).mp4", poster, testMeta)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Connect(ctx, kuboAddrInfo(t, k)); err != nil {
		t.Fatal(err)
	}

	ls := k.Run(t, "ls", "--timeout=60s", dir.String())
	for _, want := range []string{video.String(), "My talk (final).mp4", PosterFile, MetadataFile} {
		if !strings.Contains(ls, want) {
			t.Errorf("ipfs ls %s:\n%s\nwant %q in it", dir, ls, want)
		}
	}
	v, err := n.ResolveVideo(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	metaJSON := readFile(t, ctx, n, mustEntry(t, ctx, n, dir, MetadataFile))
	if got := k.Run(t, "cat", "--timeout=60s", dir.String()+"/"+MetadataFile); got != strings.TrimSpace(string(metaJSON)) {
		t.Errorf("ipfs cat video.json: %s\nwant %s", got, metaJSON)
	}
	if !strings.Contains(string(metaJSON), `"title":"Blender: a talk"`) || !strings.Contains(string(metaJSON), `"cid":"`+video.String()+`"`) {
		t.Errorf("video.json %s lacks title or file CID", metaJSON)
	}
	out := filepath.Join(t.TempDir(), "poster.jpg")
	k.Run(t, "get", "--timeout=60s", "-o", out, dir.String()+"/"+PosterFile)
	if got, err := os.ReadFile(out); err != nil || !bytes.Equal(got, poster) || !v.Poster.Defined() {
		t.Errorf("ipfs get poster.jpg: %d bytes, %v; want the %d bytes published", len(got), err, len(poster))
	}

	// Kubo imports the same files (unixfs-v1-2025 profile) to the same
	// directory CID: the directory is built as `ipfs add -r` builds it.
	src := filepath.Join(t.TempDir(), "upload")
	if err := os.Mkdir(src, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"My talk (final).mp4": readFile(t, ctx, n, video),
		PosterFile:            poster,
		MetadataFile:          metaJSON,
	} {
		if err := os.WriteFile(filepath.Join(src, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got := k.Run(t, "add", "-r", "-Q", src); got != dir.String() {
		t.Errorf("ipfs add -r of the same files: %s, we published %s", got, dir)
	}
}

// mustEntry returns the CID of a directory entry.
func mustEntry(t testing.TB, ctx context.Context, n *Node, dir cid.Cid, name string) cid.Cid {
	t.Helper()
	nd, err := n.dagService().Get(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range nd.Links() {
		if l.Name == name {
			return l.Cid
		}
	}
	t.Fatalf("%s has no entry %q", dir, name)
	return cid.Undef
}
