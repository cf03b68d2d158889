package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipfs/go-cid"

	"github.com/ipfs-tube/ipfs-tube/internal/testvideo"
	"github.com/ipfs-tube/ipfs-tube/internal/uploadtest"
)

// seedingVideos runs `seeding --json` on repo and returns its videos by CID.
func seedingVideos(t *testing.T, repo string) map[string]seedingVideo {
	t.Helper()
	var rep seedingReport
	if err := json.Unmarshal([]byte(mustRun(t, repo, "seeding", "--json")), &rep); err != nil {
		t.Fatal(err)
	}
	out := map[string]seedingVideo{}
	for _, v := range rep.Videos {
		out[v.Cid] = v
	}
	return out
}

// addAndCheckOwn adds clip.mp4 and a file that is not a video to repo and
// checks that the video became an own upload titled "clip" and the other
// file was only imported and pinned.
func addAndCheckOwn(t *testing.T, repo, clip, notes string) {
	t.Helper()
	r := runCLI(t, repo, nil, "add", clip, notes)
	if r.code != 0 {
		t.Fatalf("add: exit %d: %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 2 {
		t.Fatalf("add printed %q, want one CID per file", r.stdout)
	}
	video, err := cid.Decode(lines[0])
	if err != nil {
		t.Fatalf("add printed %q, not a CID", lines[0])
	}
	if !strings.Contains(r.stderr, `published as your upload "clip": ipfs://`) {
		t.Errorf("add did not say where the video was published:\n%s", r.stderr)
	}
	vids := seedingVideos(t, repo)
	got, ok := vids[video.String()]
	if !ok || got.Title != "clip" || got.Reason != "own" {
		t.Fatalf("seeding lists the added video as %+v (listed %v), want title clip and reason own", got, ok)
	}
	other, ok := vids[lines[1]]
	if !ok || other.Reason != "pinned" {
		t.Errorf("seeding lists the other file as %+v (listed %v), want a plain pin", other, ok)
	}
}

// TestCLIAddPublishesVideo: `ipfs-tube add clip.mp4` publishes the video
// and records it as an own upload titled after the file, whether a daemon
// holds the repo (the add goes through its control API) or the command
// opens the repo itself; a file that is not a video is imported and
// pinned as before. The file CID stays the last line of stdout.
func TestCLIAddPublishesVideo(t *testing.T) {
	clip := uploadtest.VideoAs(t, testvideo.Spec{Container: "mp4", Duration: 2 * time.Second}, "clip.mp4")
	notes, _ := writeRandomFile(t, 100<<10)

	t.Run("daemon", func(t *testing.T) {
		repo := filepath.Join(t.TempDir(), "repo")
		d := startDaemon(t, repo)
		addAndCheckOwn(t, repo, clip, notes)
		d.stop(t)
		// The catalog the daemon wrote is the repo's.
		if v := seedingVideos(t, repo); len(v) != 2 {
			t.Errorf("after the daemon stopped the repo lists %d videos, want 2", len(v))
		}
	})
	t.Run("alone", func(t *testing.T) {
		addAndCheckOwn(t, filepath.Join(t.TempDir(), "repo"), clip, notes)
	})
}

// TestCLIAddOverQuota: an add that own uploads and pins alone could not
// fit in the daemon's quota is refused with a clear message, and pins
// nothing.
func TestCLIAddOverQuota(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "repo")
	d := startDaemon(t, repo, "--quota", "2MB")
	big, _ := writeRandomFile(t, 3<<20)
	r := runCLI(t, repo, nil, "add", big)
	if r.code != exitFailure || !strings.Contains(r.stderr, "storage quota") || !strings.Contains(r.stderr, "own uploads and pins would take") {
		t.Fatalf("add past the quota: exit %d, stderr %q; want exit %d and why", r.code, r.stderr, exitFailure)
	}
	if ls := mustRun(t, repo, "pin", "ls"); ls != "" {
		t.Errorf("a refused add left pins: %q", ls)
	}
	small, _ := writeRandomFile(t, 1<<20)
	mustRun(t, repo, "add", small)
	d.stop(t)
}

// TestCLIPinRecordsInCatalog: `pin add` of a published video's directory
// does what the window's Pin does — pins file and directory and records
// the video, titled from its metadata, as pinned in the catalog — and
// `pin rm` what its Unpin does.
func TestCLIPinRecordsInCatalog(t *testing.T) {
	clip := uploadtest.VideoAs(t, testvideo.Spec{Container: "mp4", Duration: 2 * time.Second}, "clip.mp4")
	creatorRepo := filepath.Join(t.TempDir(), "creator")
	creator := startDaemon(t, creatorRepo)
	r := runCLI(t, creatorRepo, nil, "add", clip)
	if r.code != 0 {
		t.Fatalf("add: exit %d: %s", r.code, r.stderr)
	}
	file := strings.TrimSpace(r.stdout)
	_, dir, ok := strings.Cut(strings.TrimSpace(r.stderr), "ipfs://")
	if !ok {
		t.Fatalf("add did not print the directory's link: %q", r.stderr)
	}
	viewerRepo := filepath.Join(t.TempDir(), "viewer")
	viewer := startDaemon(t, viewerRepo, "--peer", creator.addrs[0])
	mustRun(t, viewerRepo, "pin", "add", dir, "--timeout", "1m")
	got, listed := seedingVideos(t, viewerRepo)[file]
	if !listed || got.Title != "clip" || got.Reason != "pinned" {
		t.Fatalf("after pin add of the directory the viewer lists the video as %+v (listed %v), want title clip, reason pinned", got, listed)
	}
	ls := mustRun(t, viewerRepo, "pin", "ls")
	if !strings.Contains(ls, file) || !strings.Contains(ls, dir) {
		t.Errorf("pin add did not pin both file and directory: %q", ls)
	}
	mustRun(t, viewerRepo, "pin", "rm", dir)
	if ls := mustRun(t, viewerRepo, "pin", "ls"); ls != "" {
		t.Errorf("pin rm left pins: %q", ls)
	}
	if got := seedingVideos(t, viewerRepo)[file]; got.Reason == "pinned" {
		t.Errorf("after pin rm the viewer still lists the video as pinned: %+v", got)
	}
	viewer.stop(t)
	creator.stop(t)
}
