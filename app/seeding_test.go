package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipfs-tube/ipfs-tube/internal/testvideo"
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

	d := startDaemon(t, repo, "--quota", "1GB", "--upload-limit", "8Mbit", "--auto-seed")
	if err := json.Unmarshal([]byte(mustRun(t, repo, "seeding", "--json")), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Quota != 1_000_000_000 || rep.UploadLimit != 1_000_000 {
		t.Errorf("through the daemon: quota %d, upload limit %d; want 1e9 and 1e6", rep.Quota, rep.UploadLimit)
	}
	if rep.OverQuota || rep.Message != "" {
		t.Errorf("an empty repo reads as over quota: %+v", rep)
	}
	d.stop(t)

	r := runCLI(t, filepath.Join(t.TempDir(), "other"), nil, "daemon", "--quota", "banana")
	if r.code != exitUsage {
		t.Errorf("daemon --quota banana: exit %d (%s), want a usage error", r.code, r.stderr)
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
