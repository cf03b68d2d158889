package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipfs-tube/ipfs-tube/internal/testvideo"
)

func parsePlayStats(t *testing.T, r result) playStats {
	t.Helper()
	var st playStats
	line := strings.TrimSpace(r.stdout)
	if err := json.Unmarshal([]byte(line), &st); err != nil {
		t.Fatalf("play --stats printed %q (exit %d, stderr %s): %v", line, r.code, r.stderr, err)
	}
	return st
}

// A viewer plays a video that only a daemon on another repo has.
func TestCLIPlayFromPeer(t *testing.T) {
	video := testvideo.Make(t, testvideo.Spec{Duration: 10 * time.Second})
	seedRepo := filepath.Join(t.TempDir(), "seed")
	seeder := startDaemon(t, seedRepo)
	c := strings.TrimSpace(mustRun(t, seedRepo, "add", video))

	r := runCLI(t, filepath.Join(t.TempDir(), "viewer"), nil,
		"play", c, "--headless", "--seek", "0.8", "--duration", "1s", "--stats", "--peer", seeder.addrs[0])
	if r.code != 0 {
		t.Fatalf("play: exit %d: %s", r.code, r.stderr)
	}
	st := parsePlayStats(t, r)
	if st.TTFFms <= 0 || st.TTFFms > 30_000 {
		t.Errorf("ttff_ms %v", st.TTFFms)
	}
	if st.SeekMs <= 0 || len(st.SeekErrorS) != 1 || st.SeekErrorS[0] < -0.1 || st.SeekErrorS[0] > 0.1 {
		t.Errorf("seek: %v ms, landed %v s off", st.SeekMs, st.SeekErrorS)
	}
	if st.Frames < 10 || st.DurationS < 9.5 || st.DurationS > 10.5 {
		t.Errorf("frames %d, duration %.2f s", st.Frames, st.DurationS)
	}
	if st.BytesFetched == 0 || st.Source["peers"] == 0 || st.MaxInflightBlocks < 1 || st.PeakRSSBytes == 0 {
		t.Errorf("fetch stats: %+v", st)
	}
	if !strings.Contains(st.URL, "/ipfs/"+c) {
		t.Errorf("played %s, want the gateway URL of %s", st.URL, c)
	}
}

// An http(s) URL is played as it is, without opening a repo.
func TestCLIPlayPlainURL(t *testing.T) {
	url := testvideo.Serve(t, testvideo.Make(t, testvideo.Spec{Container: "webm", Duration: 10 * time.Second}))
	repo := filepath.Join(t.TempDir(), "repo")
	r := runCLI(t, repo, nil, "play", url, "--headless", "--duration", "500ms", "--stats")
	if r.code != 0 {
		t.Fatalf("play: exit %d: %s", r.code, r.stderr)
	}
	if st := parsePlayStats(t, r); st.URL != url || st.Frames == 0 || st.BytesFetched != 0 {
		t.Errorf("stats %+v, want frames of %s and nothing fetched by a node", st, url)
	}
	if _, err := os.Stat(repo); !os.IsNotExist(err) {
		t.Errorf("playing a plain URL touched the repo: %v", err)
	}
}

func TestCLIPlayBadInputs(t *testing.T) {
	seedRepo := filepath.Join(t.TempDir(), "seed")
	seeder := startDaemon(t, seedRepo)
	text := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(text, []byte(strings.Repeat("not a video at all\n", 5000)), 0o644)
	textCID := strings.TrimSpace(mustRun(t, seedRepo, "add", text))
	truncated := testvideo.MakeTruncated(t, testvideo.Spec{Duration: 10 * time.Second}, 0.5)
	truncCID := strings.TrimSpace(mustRun(t, seedRepo, "add", truncated))

	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"not a video", []string{"play", textCID, "--headless"}, exitFailure, "not a video"},
		{"truncated mp4 with index at the end", []string{"play", truncCID, "--headless"}, exitFailure, "not a video"},
		{"nobody has it", []string{"play", randomCID(t), "--headless", "--timeout", "2s"}, exitNotFound, "not found within --timeout"},
		{"malformed CID", []string{"play", "bafy-not-a-cid", "--headless"}, exitUsage, "CID"},
		{"seek beyond the end", []string{"play", textCID, "--headless", "--seek", "1.5"}, exitUsage, "--seek"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			r := runCLI(t, filepath.Join(t.TempDir(), "viewer"), nil, append(tc.args, "--peer", seeder.addrs[0])...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.msg) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", r.code, r.stderr, tc.code, tc.msg)
			}
			if took := time.Since(start); took > 40*time.Second {
				t.Errorf("took %v", took)
			}
		})
	}
}
