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
//
// Under Xvfb there is no GPU: Fyne's OpenGL runs on Mesa's llvmpipe, whose
// rasterizer threads (named llvmpipe-N) do on the CPU what a graphics card
// does on a desktop. The figures split them out, and `mpv --vo=x11` on the
// same display shows what mpv itself pays to put the picture on this
// screen without OpenGL.
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
		cpu0, wall0 := threadCPU(b, w.cmd.Process.Pid), time.Now()
		// The measurement window: CPU used over wall time while playing.
		time.Sleep(length)
		cpu1, wall1 := threadCPU(b, w.cmd.Process.Pid), time.Now()
		st := w.waitState(b, "still playing", 10*time.Second, func(s windowState) bool { return true })
		if st.Player != "playing" {
			b.Fatalf("player %s after the measurement, want playing", st.Player)
		}
		wall := wall1.Sub(wall0).Seconds()
		app := (cpu1.all - cpu0.all).Seconds() / wall * 100
		gl := (cpu1.softGL - cpu0.softGL).Seconds() / wall * 100
		w.quit(b)

		mpvCPU := func(vo string, env ...string) float64 {
			mpv := exec.Command("mpv", "--no-config", "--vo="+vo, "--ao=null", "--really-quiet", "--geometry=1280x720",
				"--start="+strconv.Itoa(int(from.Seconds())), "--length="+strconv.Itoa(int(length.Seconds())), video)
			mpv.Env = append(os.Environ(), env...)
			start := time.Now()
			if out, err := mpv.CombinedOutput(); err != nil {
				b.Fatalf("mpv --vo=%s: %v: %s", vo, err, out)
			}
			return (mpv.ProcessState.UserTime() + mpv.ProcessState.SystemTime()).Seconds() / time.Since(start).Seconds() * 100
		}
		decode := mpvCPU("null")
		x11 := mpvCPU("x11", d.Env())

		fmt.Printf("\nCPU while playing 1080p30 (%v of a local video, %% of one core):\n", length)
		fmt.Printf("  ipfs-tube window (node, gateway, mpv decode + SW render, Fyne): %5.0f %%\n", app)
		fmt.Printf("    of which Mesa's software OpenGL (llvmpipe, a GPU's work):     %5.0f %%\n", gl)
		fmt.Printf("    the rest:                                                     %5.0f %%\n", app-gl)
		fmt.Printf("  mpv --vo=null (decode only):                                    %5.0f %%\n", decode)
		fmt.Printf("  mpv --vo=x11 on the same display (decode, scale, show):         %5.0f %%\n", x11)
		fmt.Printf("  ratio to --vo=null (goal ≤ 2):                                  %5.2f\n", app/decode)
		fmt.Printf("  ratio without software OpenGL:                                 %5.2f\n\n", (app-gl)/decode)
		b.ReportMetric(app, "app-cpu-%")
		b.ReportMetric(gl, "softgl-cpu-%")
		b.ReportMetric(decode, "mpv-cpu-%")
		b.ReportMetric(x11, "mpv-x11-cpu-%")
	}
}

// cpuSplit is a process's CPU time, all of it and the part its llvmpipe
// (software OpenGL) threads used.
type cpuSplit struct{ all, softGL time.Duration }

// threadCPU sums user+system CPU time over a process's threads, from
// /proc/PID/task/TID/stat (Linux).
func threadCPU(b *testing.B, pid int) cpuSplit {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		b.Fatal(err)
	}
	var s cpuSplit
	for _, task := range tasks {
		dir := fmt.Sprintf("/proc/%d/task/%s", pid, task.Name())
		t, err := statCPU(filepath.Join(dir, "stat"))
		if err != nil {
			continue // the thread ended meanwhile
		}
		s.all += t
		if comm, err := os.ReadFile(filepath.Join(dir, "comm")); err == nil && strings.HasPrefix(string(comm), "llvmpipe") {
			s.softGL += t
		}
	}
	return s
}

// statCPU reads user+system CPU time from a /proc stat file (Linux).
func statCPU(path string) (time.Duration, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses and may hold
	// spaces: state is field 3, utime 14, stime 15.
	rest := string(raw[strings.LastIndexByte(string(raw), ')')+2:])
	f := strings.Fields(rest)
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	const ticksPerSecond = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticksPerSecond, nil
}
