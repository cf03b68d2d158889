// Package xvfb runs a virtual X display for tests that open real windows,
// and takes screenshots of it the way DESIGN.md found to work here: ffmpeg's
// x11grab (Fyne's Canvas().Capture() returns a blank image under Xvfb).
//
//	d := xvfb.Start(t, 1280, 800)
//	cmd.Env = append(os.Environ(), d.Env())
//	img := d.Screenshot(t, filepath.Join(dir, "playing.png"))
package xvfb

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Display is a running Xvfb server.
type Display struct {
	// Name is the DISPLAY value, ":N".
	Name          string
	Width, Height int
}

// Env is the DISPLAY variable for a child process.
func (d *Display) Env() string { return "DISPLAY=" + d.Name }

// Start runs Xvfb (black root window, so an empty screen is flat) on a
// free display number and stops it when the test
// ends. Xvfb's -displayfd reports the number it took, so parallel tests
// never race for one.
func Start(t testing.TB, width, height int) *Display {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", fmt.Sprintf("%dx%dx24", width, height), "-nolisten", "tcp", "-br")
	cmd.ExtraFiles = []*os.File{w}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		w.Close()
		t.Fatalf("xvfb: %v (install the xvfb package)", err)
	}
	w.Close()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	// The number arrives once the server accepts connections.
	num := make(chan string, 1)
	go func() {
		buf := make([]byte, 32)
		n, _ := r.Read(buf)
		num <- strings.TrimSpace(string(buf[:n]))
	}()
	select {
	case s := <-num:
		if _, err := strconv.Atoi(s); err != nil {
			t.Fatalf("xvfb: no display number (%q): %s", s, stderr.String())
		}
		return &Display{Name: ":" + s, Width: width, Height: height}
	case <-time.After(30 * time.Second):
		t.Fatalf("xvfb: not ready after 30 s: %s", stderr.String())
	}
	return nil
}

// Screenshot grabs the whole screen, saves it as a PNG at path (the
// folder is created) and returns it.
func (d *Display) Screenshot(t testing.TB, path string) image.Image {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ffmpeg", "-loglevel", "error", "-f", "x11grab", "-draw_mouse", "0",
		"-video_size", fmt.Sprintf("%dx%d", d.Width, d.Height), "-i", d.Name,
		"-frames:v", "1", "-y", path)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("screenshot: %v: %s", err, out)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot %s: %v", path, err)
	}
	return img
}

// WindowMapped reports whether a window with this exact title is mapped
// on the display (xwininfo, from x11-utils).
func (d *Display) WindowMapped(title string) bool {
	out, err := exec.Command("xwininfo", "-display", d.Name, "-name", title).CombinedOutput()
	return err == nil && bytes.Contains(out, []byte("IsViewable"))
}
