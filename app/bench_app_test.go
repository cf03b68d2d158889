package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ipfs-tube/ipfs-tube/internal/testvideo"
	"github.com/ipfs-tube/ipfs-tube/internal/xvfb"
)

// BenchmarkAppColdStart is the time from starting the binary on a fresh
// repo (created on the way) to its window being mapped on the display.
func BenchmarkAppColdStart(b *testing.B) {
	const runs = 5
	d := xvfb.Start(b, 1280, 800)
	for range b.N {
		var ms []float64
		for range runs {
			repo := filepath.Join(b.TempDir(), "repo")
			start := time.Now()
			w := startAppWindowAsync(b, d, repo)
			deadline := start.Add(60 * time.Second)
			for !d.WindowMapped(windowTitle) {
				if time.Now().After(deadline) {
					b.Fatalf("no window after 60 s: %s", tail(w.errb.String(), 2000))
				}
			}
			ms = append(ms, float64(time.Since(start).Microseconds())/1000)
			w.ctl = w.waitControl(b)
			w.quit(b)
		}
		fmt.Printf("\nCold start to first window (fresh repo, Xvfb, %d runs): p50 %.0f ms, max %.0f ms\n\n",
			runs, percentile(ms, 0.5), percentile(ms, 1))
		b.ReportMetric(percentile(ms, 0.5), "coldstart-ms")
	}
}

// BenchmarkAppPlayCPU measures the whole app's CPU (node, gateway, libmpv
// decoding and software rendering, Fyne drawing) while it plays a local
// 1080p30 video in its window, against `mpv --vo=null` decoding the same
// stretch of the same file. Goal: at most 2×.
func BenchmarkAppPlayCPU(b *testing.B) {
	const (
		from   = 3 * time.Second
		length = 10 * time.Second
	)
	video := testvideo.Make(b, testvideo.Spec{Container: "mp4", Width: 1920, Height: 1080, FPS: 30, Duration: 40 * time.Second})
	d := xvfb.Start(b, 1280, 800)
	for range b.N {
		repo := filepath.Join(b.TempDir(), "repo")
		c := strings.TrimSpace(mustRun(b, repo, "add", video))
		w := startAppWindow(b, d, repo, "ipfs://"+c)
		w.waitState(b, "playing", 60*time.Second, func(s windowState) bool {
			return s.Player == "playing" && s.PositionS >= from.Seconds()
		})
		cpu0, wall0 := processCPU(b, w.cmd.Process.Pid), time.Now()
		// The measurement window: CPU used over wall time while playing.
		time.Sleep(length)
		cpu1, wall1 := processCPU(b, w.cmd.Process.Pid), time.Now()
		st := w.waitState(b, "still playing", 10*time.Second, func(s windowState) bool { return true })
		if st.Player != "playing" {
			b.Fatalf("player %s after the measurement, want playing", st.Player)
		}
		app := (cpu1 - cpu0).Seconds() / wall1.Sub(wall0).Seconds() * 100
		w.quit(b)

		mpv := exec.Command("mpv", "--no-config", "--vo=null", "--ao=null", "--really-quiet",
			"--start="+strconv.Itoa(int(from.Seconds())), "--length="+strconv.Itoa(int(length.Seconds())), video)
		start := time.Now()
		if out, err := mpv.CombinedOutput(); err != nil {
			b.Fatalf("mpv: %v: %s", err, out)
		}
		wall := time.Since(start)
		mpvCPU := (mpv.ProcessState.UserTime() + mpv.ProcessState.SystemTime()).Seconds() / wall.Seconds() * 100

		fmt.Printf("\nCPU while playing 1080p30 (%v of a local video, %% of one core):\n", length)
		fmt.Printf("  ipfs-tube window (node, gateway, mpv decode + SW render, Fyne): %5.0f %%\n", app)
		fmt.Printf("  mpv --vo=null (decode only):                                    %5.0f %%\n", mpvCPU)
		fmt.Printf("  ratio (goal ≤ 2):                                               %5.2f\n\n", app/mpvCPU)
		b.ReportMetric(app, "app-cpu-%")
		b.ReportMetric(mpvCPU, "mpv-cpu-%")
	}
}

// processCPU is the user+system CPU time a process has used, from
// /proc/PID/stat (Linux).
func processCPU(b *testing.B, pid int) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// Fields after the command name, which is in parentheses and may hold
	// spaces: state is field 3, utime 14, stime 15.
	rest := string(raw[strings.LastIndexByte(string(raw), ')')+2:])
	f := strings.Fields(rest)
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	const ticksPerSecond = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticksPerSecond
}
