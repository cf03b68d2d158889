package node

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	uio "github.com/ipfs/boxo/ipld/unixfs/io"
	"github.com/ipfs/go-cid"
	ipld "github.com/ipfs/go-ipld-format"
	ma "github.com/multiformats/go-multiaddr"
)

// importBytes stores data as a file on n and returns its CID.
func importBytes(t testing.TB, n *Node, data []byte) cid.Cid {
	t.Helper()
	res, err := n.Import(context.Background(), bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return res.Cid
}

// importRandom stores size pseudo-random bytes (seeded) as a file on n.
func importRandom(t testing.TB, n *Node, seed uint64, size int64) cid.Cid {
	t.Helper()
	res, err := n.Import(context.Background(), newRandomReader(seed, size))
	if err != nil {
		t.Fatal(err)
	}
	return res.Cid
}

// makeDir builds a UnixFS directory on n from name → CID entries; hamt
// makes it a HAMT-sharded one.
func makeDir(t testing.TB, n *Node, hamt bool, entries map[string]cid.Cid) cid.Cid {
	t.Helper()
	ctx := context.Background()
	dag := n.offlineDAG
	var dir uio.Directory
	var err error
	if hamt {
		dir, err = uio.NewHAMTDirectory(dag, 0)
	} else {
		dir, err = uio.NewBasicDirectory(dag)
	}
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range entries {
		nd, err := dag.Get(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		if err := dir.AddChild(ctx, name, nd); err != nil {
			t.Fatal(err)
		}
	}
	root, err := dir.GetNode()
	if err != nil {
		t.Fatal(err)
	}
	if err := dag.Add(ctx, root); err != nil {
		t.Fatal(err)
	}
	return root.Cid()
}

func metadataJSON(t testing.TB, m VideoMetadata) []byte {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestResolveVideo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	n := newTestNode(t)
	small := importRandom(t, n, 40, 300<<10)
	big := importRandom(t, n, 41, 2<<20+5)
	other := importRandom(t, n, 42, 1<<20)
	poster := importBytes(t, n, []byte("\x89PNG not really"))
	notes := importBytes(t, n, []byte("some notes, larger than nothing"))
	meta := importBytes(t, n, metadataJSON(t, VideoMetadata{Version: 1, Title: "Small one", Video: "small.webm", Poster: "poster.png", DurationS: 12.5, MIME: "video/webm"}))
	metaMissing := importBytes(t, n, metadataJSON(t, VideoMetadata{Version: 1, Video: "gone.mp4"}))
	metaNewer := importBytes(t, n, metadataJSON(t, VideoMetadata{Version: 7, Video: "small.webm"}))
	metaBroken := importBytes(t, n, []byte(`{"version":1,"video":`))
	metaWrongCid := importBytes(t, n, []byte(`{"version":1,"video":"small.webm","cid":"`+big.String()+`"}`))

	t.Run("file", func(t *testing.T) {
		v, err := n.ResolveVideo(ctx, big)
		if err != nil {
			t.Fatal(err)
		}
		if !v.Cid.Equals(big) || v.Size != 2<<20+5 || v.Name != "" || v.Dir.Defined() {
			t.Fatalf("file resolved to %+v", v)
		}
	})
	t.Run("metadata names the video", func(t *testing.T) {
		dir := makeDir(t, n, false, map[string]cid.Cid{
			"small.webm": small, "big.mp4": big, "poster.png": poster, MetadataFile: meta,
		})
		v, err := n.ResolveVideo(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		if !v.Cid.Equals(small) || v.Name != "small.webm" || v.Size != 300<<10 || !v.Dir.Equals(dir) {
			t.Fatalf("resolved to %+v, want small.webm (the metadata's choice, not the largest)", v)
		}
		if v.Metadata == nil || v.Metadata.Title != "Small one" || !v.Poster.Equals(poster) {
			t.Fatalf("metadata %+v, poster %s", v.Metadata, v.Poster)
		}
		if v.Duration() != 12500*time.Millisecond || v.Bitrate() != int64(float64(300<<10*8)/12.5) {
			t.Fatalf("duration %v, bitrate %d", v.Duration(), v.Bitrate())
		}
	})
	t.Run("only video", func(t *testing.T) {
		dir := makeDir(t, n, false, map[string]cid.Cid{"Talk.MKV": small, "poster.png": poster, "notes.txt": notes})
		v, err := n.ResolveVideo(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		if !v.Cid.Equals(small) || v.Name != "Talk.MKV" || v.Metadata != nil {
			t.Fatalf("resolved to %+v, want Talk.MKV", v)
		}
	})
	t.Run("largest video", func(t *testing.T) {
		dir := makeDir(t, n, false, map[string]cid.Cid{"a.mp4": small, "b.mov": big, "c.webm": other, "poster.png": poster})
		v, err := n.ResolveVideo(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		if !v.Cid.Equals(big) || v.Name != "b.mov" {
			t.Fatalf("resolved to %+v, want the largest, b.mov", v)
		}
	})
	t.Run("hamt sharded", func(t *testing.T) {
		entries := map[string]cid.Cid{"z.mp4": big, "poster.png": poster}
		for i := range 40 {
			entries[fmt.Sprintf("clip-%02d.webm", i)] = small
		}
		dir := makeDir(t, n, true, entries)
		nd, err := n.offlineDAG.Get(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		if kind, _, _ := unixfsKind(nd); kind.String() != "HAMTShard" {
			t.Fatalf("test directory is a %s, want a HAMT shard", kind)
		}
		v, err := n.ResolveVideo(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		if !v.Cid.Equals(big) || v.Name != "z.mp4" {
			t.Fatalf("resolved to %+v, want z.mp4", v)
		}
	})
	t.Run("no video", func(t *testing.T) {
		dir := makeDir(t, n, false, map[string]cid.Cid{"poster.png": poster, "notes.txt": notes})
		_, err := n.ResolveVideo(ctx, dir)
		if !errors.Is(err, ErrNoVideo) {
			t.Fatalf("directory without video: %v, want ErrNoVideo", err)
		}
	})
	t.Run("metadata names a missing file", func(t *testing.T) {
		dir := makeDir(t, n, false, map[string]cid.Cid{"big.mp4": big, MetadataFile: metaMissing})
		_, err := n.ResolveVideo(ctx, dir)
		if !errors.Is(err, ErrBadMetadata) || !strings.Contains(err.Error(), `"gone.mp4"`) {
			t.Fatalf("metadata naming a missing file: %v, want ErrBadMetadata naming gone.mp4", err)
		}
	})
	t.Run("metadata from a newer program", func(t *testing.T) {
		dir := makeDir(t, n, false, map[string]cid.Cid{"small.webm": small, MetadataFile: metaNewer})
		_, err := n.ResolveVideo(ctx, dir)
		if !errors.Is(err, ErrBadMetadata) || !strings.Contains(err.Error(), "version 7") {
			t.Fatalf("newer metadata: %v, want ErrBadMetadata naming version 7", err)
		}
	})
	t.Run("metadata with another file's cid", func(t *testing.T) {
		dir := makeDir(t, n, false, map[string]cid.Cid{"small.webm": small, "big.mp4": big, MetadataFile: metaWrongCid})
		if _, err := n.ResolveVideo(ctx, dir); !errors.Is(err, ErrBadMetadata) || !strings.Contains(err.Error(), big.String()) {
			t.Fatalf("metadata with a wrong cid: %v, want ErrBadMetadata naming it", err)
		}
	})
	t.Run("malformed metadata", func(t *testing.T) {
		dir := makeDir(t, n, false, map[string]cid.Cid{"small.webm": small, MetadataFile: metaBroken})
		if _, err := n.ResolveVideo(ctx, dir); !errors.Is(err, ErrBadMetadata) {
			t.Fatalf("malformed metadata: %v, want ErrBadMetadata", err)
		}
	})
}

// TestResolveVideoFromPeer: a directory only a peer has resolves over
// bitswap, fetching the directory, the metadata and the video's root, not
// the video itself.
func TestResolveVideoFromPeer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	seeder, viewer := newTestNode(t), newTestNode(t)
	video := importRandom(t, seeder, 43, 3<<20)
	meta := importBytes(t, seeder, metadataJSON(t, VideoMetadata{Version: 1, Title: "Remote", Video: "v.mp4", DurationS: 3}))
	dir := makeDir(t, seeder, false, map[string]cid.Cid{"v.mp4": video, MetadataFile: meta})
	if err := viewer.Connect(ctx, addrInfoOver(t, seeder, ma.P_TCP)); err != nil {
		t.Fatal(err)
	}
	v, err := viewer.ResolveVideo(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Cid.Equals(video) || v.Size != 3<<20 || v.Metadata.Title != "Remote" {
		t.Fatalf("resolved to %+v", v)
	}
	got, err := viewer.LocalRanges(ctx, video)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Fatalf("resolving fetched video bytes: local ranges %v", got)
	}
	if _, err := viewer.blockstore.Get(ctx, video); ipld.IsNotFound(err) {
		t.Fatal("the video's root was not fetched; its size cannot have come from it")
	}
}

func TestVideoExtensions(t *testing.T) {
	for name, want := range map[string]bool{
		"a.mp4": true, "B.WEBM": true, "c.m2ts": true, "d.ogv": true, "e.mkv": true,
		"poster.jpg": false, "video.json": false, "mp4": false, "x.mp4.txt": false,
	} {
		if got := isVideoName(name); got != want {
			t.Errorf("isVideoName(%q) = %v, want %v", name, got, want)
		}
	}
}
