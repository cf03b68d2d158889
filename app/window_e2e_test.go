package main

import (
	"context"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ipfs-tube/ipfs-tube/internal/syncbuf"
	"github.com/ipfs-tube/ipfs-tube/internal/testvideo"
	"github.com/ipfs-tube/ipfs-tube/internal/xvfb"
)

// appWindow is the real binary showing its window on a virtual display.
type appWindow struct {
	cmd  *exec.Cmd
	repo string
	d    *xvfb.Display
	errb *syncbuf.Buffer
	ctl  *controlClient
}

// screenshotDir keeps the end-to-end test's pictures for a person to look
// at (git-ignored).
func screenshotDir(t testing.TB) string {
	dir, err := filepath.Abs(filepath.Join("..", "screenshots"))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// startAppWindow runs `ipfs-tube [args] --isolated --repo repo` on d with
// its settings in a fresh config folder, and waits until its control API
// answers. The window may still be drawing its first frame then.
func startAppWindow(t testing.TB, d *xvfb.Display, repo string, args ...string) *appWindow {
	t.Helper()
	w := startAppWindowAsync(t, d, repo, args...)
	w.ctl = w.waitControl(t)
	return w
}

// startAppWindowAsync starts the app like startAppWindow but returns at
// once, before its control API is up (w.ctl is nil).
func startAppWindowAsync(t testing.TB, d *xvfb.Display, repo string, args ...string) *appWindow {
	t.Helper()
	cmd := exec.Command(binPath, append(args, "--isolated", "--repo", repo)...)
	home := t.TempDir()
	cmd.Env = append(os.Environ(), d.Env(), "XDG_CONFIG_HOME="+filepath.Join(home, "config"), "HOME="+home)
	w := &appWindow{cmd: cmd, repo: repo, d: d, errb: new(syncbuf.Buffer)}
	cmd.Stderr = w.errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return w
}

func (w *appWindow) waitControl(t testing.TB) *controlClient {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if ctl, err := readControl(w.repo); err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_, err := ctl.windowState(ctx)
			cancel()
			if err == nil {
				return ctl
			}
		}
		if w.cmd.ProcessState != nil {
			break
		}
		time.Sleep(20 * time.Millisecond) // polling a child's files, nothing to wait on
	}
	t.Fatalf("app window never answered on its control API: %s", tail(w.errb.String(), 4000))
	return nil
}

// waitState polls the window's state until ok holds, for at most limit.
func (w *appWindow) waitState(t testing.TB, what string, limit time.Duration, ok func(windowState) bool) windowState {
	t.Helper()
	deadline := time.Now().Add(limit)
	var last windowState
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		st, err := w.ctl.windowState(ctx)
		cancel()
		if err == nil {
			last = st
			if ok(st) {
				return st
			}
		}
		time.Sleep(50 * time.Millisecond) // polling another process
	}
	t.Fatalf("window never reached %s within %v; last state %+v; stderr: %s", what, limit, last, tail(w.errb.String(), 2000))
	return last
}

// quit asks the app to close the way a desktop session does.
func (w *appWindow) quit(t testing.TB) {
	t.Helper()
	w.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- w.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("app exit: %v: %s", err, tail(w.errb.String(), 2000))
		}
	case <-time.After(30 * time.Second):
		t.Errorf("app did not quit within 30 s of SIGTERM")
	}
}

// windowRect is the app window's place on the screen, from xwininfo.
func (w *appWindow) windowRect(t testing.TB) image.Rectangle {
	t.Helper()
	out, err := exec.Command("xwininfo", "-display", w.d.Name, "-name", windowTitle).CombinedOutput()
	if err != nil {
		t.Fatalf("xwininfo: %v: %s", err, out)
	}
	num := func(label string) int {
		m := regexp.MustCompile(label + `:\s+(-?\d+)`).FindSubmatch(out)
		if m == nil {
			t.Fatalf("xwininfo: no %s in %s", label, out)
		}
		n, _ := strconv.Atoi(string(m[1]))
		return n
	}
	x, y := num("Absolute upper-left X"), num("Absolute upper-left Y")
	return image.Rect(x, y, x+num("Width"), y+num("Height"))
}

// videoArea is where the window draws the video picture, on the screen.
func (w *appWindow) videoArea(t testing.TB, st windowState) image.Rectangle {
	t.Helper()
	r := st.VideoRect
	if r[2] <= 0 || r[3] <= 0 {
		t.Fatalf("no video rectangle in %+v", st)
	}
	win := w.windowRect(t)
	return image.Rect(r[0], r[1], r[0]+r[2], r[1]+r[3]).Add(win.Min)
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

func shotPath(t testing.TB, name string) string {
	return filepath.Join(screenshotDir(t), fmt.Sprintf("%s-%s.png", t.Name(), name))
}

// TestWindowEndToEnd is the user's path through the real binary on a
// virtual display: open a video only a second loopback node has, see it
// play, drop a file to upload it, find it in the library with its poster.
func TestWindowEndToEnd(t *testing.T) {
	video := testvideo.Make(t, testvideo.Spec{Container: "mp4", Duration: 40 * time.Second})
	upload := testvideo.Make(t, testvideo.Spec{Container: "webm", Width: 320, Height: 240, FPS: 25, Duration: 4 * time.Second})

	seedRepo := filepath.Join(t.TempDir(), "seed")
	seeder := startDaemon(t, seedRepo)
	c := strings.TrimSpace(mustRun(t, seedRepo, "add", video))
	peerAddr := seeder.addrs[0]
	for _, a := range seeder.addrs {
		if strings.Contains(a, "/tcp/") {
			peerAddr = a
		}
	}

	d := xvfb.Start(t, 1280, 800)
	repo := filepath.Join(t.TempDir(), "viewer")
	w := startAppWindow(t, d, repo, "--peer", peerAddr, "ipfs://"+c)

	st := w.waitState(t, "playing past 1 s", 90*time.Second, func(s windowState) bool {
		return s.Player == "playing" && s.PositionS > 1
	})
	area := w.videoArea(t, st)
	first := d.Screenshot(t, shotPath(t, "1-playing"))
	// Two pictures a second apart: the second is the measurement, not a
	// wait for something to happen.
	time.Sleep(time.Second)
	second := d.Screenshot(t, shotPath(t, "2-playing-1s-later"))
	if v := xvfb.Variance(first, area); v < 100 {
		t.Errorf("video area %v is blank (variance %.1f)", area, v)
	}
	if diff := xvfb.MeanAbsDiff(first, second, area); diff < 2 {
		t.Errorf("video area %v did not change in 1 s (mean difference %.2f): not playing", area, diff)
	}

	// A second `ipfs-tube FILE` hands the file to this window, which takes
	// it through the same handler as a drop on the window.
	mustRunArgs(t, binPath, "--isolated", "--repo", repo, upload)
	st = w.waitState(t, "the upload done", 90*time.Second, func(s windowState) bool {
		return len(s.Uploads) == 1 && (s.Uploads[0].Phase == "done" || s.Uploads[0].Error != "")
	})
	if st.Uploads[0].Error != "" {
		t.Fatalf("upload failed: %s", st.Uploads[0].Error)
	}
	d.Screenshot(t, shotPath(t, "3-upload-done"))

	// Bad files get their message in the window and leave the catalog as
	// it was.
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.mp4")
	text := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(text, []byte(strings.Repeat("not a video\n", 100)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{empty, text, dir} {
		mustRunArgs(t, binPath, "--isolated", "--repo", repo, bad)
	}
	st = w.waitState(t, "three refused files", 60*time.Second, func(s windowState) bool {
		failed := 0
		for _, u := range s.Uploads {
			if u.Phase == "failed" && u.Error != "" {
				failed++
			}
		}
		return failed == 3
	})
	for _, u := range st.Uploads[1:] {
		t.Logf("%s: %s", u.Name, u.Error)
	}
	d.Screenshot(t, shotPath(t, "3b-bad-files"))
	if err := w.ctl.showView(context.Background(), "library"); err != nil {
		t.Fatal(err)
	}
	st = w.waitState(t, "the library with both videos", 30*time.Second, func(s windowState) bool {
		return s.View == "library" && s.Library == 2
	})
	lib := d.Screenshot(t, shotPath(t, "4-library"))
	if v := xvfb.Variance(lib, w.windowRect(t)); v < 100 {
		t.Errorf("library window is blank (variance %.1f)", v)
	}

	// A link clicked elsewhere runs the desktop entry's Exec line; the
	// running window takes it (no second node, no lock error).
	exec := desktopExec(t, "ipfs://"+c)
	mustRunArgs(t, binPath, append(exec[1:], "--isolated", "--repo", repo)...)
	w.waitState(t, "the link playing again", 60*time.Second, func(s windowState) bool {
		return s.View == viewWatch && s.Player == "playing"
	})
	w.quit(t)
}

func mustRunArgs(t testing.TB, bin string, args ...string) string {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v: %s", bin, args, err, out)
	}
	return string(out)
}

// desktopExec is the packaged desktop entry's Exec line for url, split
// into words the way a desktop runs it (%u replaced by the URL).
func desktopExec(t testing.TB, url string) []string {
	t.Helper()
	raw, err := os.ReadFile("../packaging/linux/" + appID + ".desktop")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "Exec="); ok {
			words := strings.Fields(v)
			for i, w := range words {
				if w == "%u" {
					words[i] = url
				}
			}
			return words
		}
	}
	t.Fatal("desktop entry has no Exec line")
	return nil
}
