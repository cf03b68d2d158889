package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipfs-tube/ipfs-tube/internal/testvideo"
	"github.com/ipfs-tube/ipfs-tube/library"
	"github.com/ipfs-tube/ipfs-tube/node"
)

// TestSeedingReport: `ipfs-tube seeding` on a repo nobody holds and on
// one a daemon with --quota holds.
func TestSeedingReport(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "repo")
	var rep seedingReport
	if err := json.Unmarshal([]byte(mustRun(t, repo, "seeding", "--json")), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Quota <= 0 || rep.Used <= 0 || rep.Free <= 0 || rep.Videos == nil {
		t.Errorf("report of a fresh repo: %+v", rep)
	}

	// Seeding hours from an hour ago to an hour from now hold now.
	now := time.Now()
	within := now.Add(-time.Hour).Format("15:04") + "-" + now.Add(time.Hour).Format("15:04")
	d := startDaemon(t, repo, "--quota", "1GB", "--upload-limit", "8Mbit", "--download-limit", "16Mbit",
		"--seed-hours", within, "--auto-seed")
	if err := json.Unmarshal([]byte(mustRun(t, repo, "seeding", "--json")), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Quota != 1_000_000_000 || rep.UploadLimit != 1_000_000 || rep.DownloadLimit != 2_000_000 {
		t.Errorf("through the daemon: quota %d, upload limit %d, download limit %d; want 1e9, 1e6 and 2e6",
			rep.Quota, rep.UploadLimit, rep.DownloadLimit)
	}
	if rep.SeedHours != within || rep.Paused || rep.OutsideHours {
		t.Errorf("within the hours %s: %+v", within, rep)
	}
	if rep.OverQuota || rep.Message != "" {
		t.Errorf("an empty repo reads as over quota: %+v", rep)
	}
	text := mustRun(t, repo, "seeding")
	if !strings.Contains(text, "seeding hours "+within) || !strings.Contains(text, "seeding downloads 1.9 MiB/s") {
		t.Errorf("seeding report does not say the hours and the download limit:\n%s", text)
	}
	d.stop(t)

	// Outside the hours the daemon starts paused: uploads at 1 B/s.
	outside := now.Add(time.Hour).Format("15:04") + "-" + now.Add(2*time.Hour).Format("15:04")
	other := filepath.Join(t.TempDir(), "night")
	d = startDaemon(t, other, "--upload-limit", "8Mbit", "--seed-hours", outside)
	if err := json.Unmarshal([]byte(mustRun(t, other, "seeding", "--json")), &rep); err != nil {
		t.Fatal(err)
	}
	if !rep.Paused || !rep.OutsideHours || rep.UploadLimit != library.PausedUploadLimit {
		t.Errorf("outside the hours %s: paused %v, outside %v, upload limit %d", outside, rep.Paused, rep.OutsideHours, rep.UploadLimit)
	}
	if text := mustRun(t, other, "seeding"); !strings.Contains(text, "Seeding paused: outside the seeding hours "+outside) {
		t.Errorf("seeding report does not say it is paused by the hours:\n%s", text)
	}
	d.stop(t)

	for _, bad := range [][]string{{"--quota", "banana"}, {"--download-limit", "fast"}, {"--seed-hours", "25:00-01:00"},
		{"--seed-hours", "nights"}} {
		r := runCLI(t, filepath.Join(t.TempDir(), "other"), nil, append([]string{"daemon"}, bad...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, bad[0]) {
			t.Errorf("daemon %v: exit %d (%s), want a usage error naming the flag", bad, r.code, r.stderr)
		}
	}
}

// TestSeedingShowsProviders: a creator's upload shows how many other
// nodes provide it.
func TestSeedingShowsProviders(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "creator")
	video := testvideo.Make(t, testvideo.Spec{Container: "mp4", Duration: 2 * time.Second})
	creator := startDaemon(t, repo)
	c := strings.TrimSpace(mustRun(t, repo, "add", video))
	// Added on the command line, the file is a pin the catalog does not
	// know: the report lists it as pinned.
	volunteer := filepath.Join(t.TempDir(), "volunteer")
	v := startDaemon(t, volunteer, "--peer", creator.addrs[0])
	mustRun(t, volunteer, "pin", "add", c)
	deadline := time.Now().Add(30 * time.Second)
	for {
		var rep seedingReport
		if err := json.Unmarshal([]byte(mustRun(t, repo, "seeding", "--json")), &rep); err != nil {
			t.Fatal(err)
		}
		for _, vid := range rep.Videos {
			if vid.Cid == c && vid.Providers >= 1 {
				v.stop(t)
				creator.stop(t)
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the creator never saw the volunteer as a provider of %s: %+v", c, rep.Videos)
		}
		time.Sleep(200 * time.Millisecond) // polling another process
	}
}

// TestSeedingListsPublishedVideoOnce: an upload's directory, pinned with
// it, is not listed again as a pin of its own.
func TestSeedingListsPublishedVideoOnce(t *testing.T) {
	ctx := context.Background()
	repo := filepath.Join(t.TempDir(), "repo")
	n, err := node.New(ctx, node.Config{Repo: repo})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	video := testvideo.Make(t, testvideo.Spec{Container: "mp4", Duration: time.Second})
	f, err := os.Open(video)
	if err != nil {
		t.Fatal(err)
	}
	res, err := n.Import(ctx, f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := n.PublishVideo(ctx, res.Cid, "clip.mp4", nil, node.VideoMetadata{Title: "Clip"})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := library.Open(ctx, catalogDir(repo))
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	if err := cat.Put(ctx, library.Video{Cid: res.Cid, Dir: dir, Title: "Clip", Size: res.Size, BytesLocal: res.Size,
		Kept: library.OwnUpload}); err != nil {
		t.Fatal(err)
	}
	rep, err := (&localBackend{n: n, cat: cat, quota: 1 << 30}).Seeding(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Videos) != 1 || rep.Videos[0].Cid != res.Cid.String() || rep.Videos[0].Reason != "own" {
		t.Fatalf("report lists %+v, want the upload alone, as own", rep.Videos)
	}
}
