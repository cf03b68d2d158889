package main

import (
	"encoding/json"
	"path/filepath"
	"testing"
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
