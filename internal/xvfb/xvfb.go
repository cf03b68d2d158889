// Package xvfb runs a virtual X display for tests that open real windows,
// and takes screenshots of it with ffmpeg's x11grab, because Fyne's
// Canvas().Capture() returns a blank image under Xvfb.
//
//	d := xvfb.Start(t, 1280, 800)
//	cmd.Env = append(os.Environ(), d.Env())
//	img := d.Screenshot(t, filepath.Join(dir, "playing.png"))
package xvfb

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"image/png"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ipfs-tube/ipfs-tube/internal/syncbuf"
)

// Display is a running Xvfb server.
type Display struct {
	// Name is the DISPLAY value, ":N".
	Name          string
	Width, Height int

	stderr *syncbuf.Buffer // Xvfb's complaints, for failure messages
}

// Env is the DISPLAY variable for a child process.
func (d *Display) Env() string { return "DISPLAY=" + d.Name }

// Start runs Xvfb (black root window, so an empty screen is flat; no
// server reset when a client leaves, which would drop the next one) on a
// free display number and stops it when the test ends. A number is free
// when neither its lock file nor its socket exists: a server killed hard
// leaves its socket behind, and a client would connect to that dead
// socket. Xvfb's -displayfd says when the server accepts connections.
func Start(t testing.TB, width, height int) *Display {
	t.Helper()
	var lastErr string
	// Each Start in a process begins at a new number, so a server that is
	// still shutting down is never in the way of the next.
	first := 100 + (os.Getpid()*7+int(starts.Add(1))*13)%800
	for n := first; n < first+50; n++ {
		if exists(fmt.Sprintf("/tmp/.X%d-lock", n)) || exists(fmt.Sprintf("/tmp/.X11-unix/X%d", n)) {
			continue
		}
		d, errText := start(t, n, width, height)
		if d != nil {
			return d
		}
		lastErr = errText
	}
	t.Fatalf("xvfb: no display started: %s", lastErr)
	return nil
}

var starts atomic.Int64

// accepts reports whether display n's socket takes a connection.
func accepts(n int) bool {
	c, err := net.DialTimeout("unix", fmt.Sprintf("/tmp/.X11-unix/X%d", n), 5*time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// start runs Xvfb on display n; nil and Xvfb's complaint when it did not
// come up (another process took n first).
func start(t testing.TB, n, width, height int) (*Display, string) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command("Xvfb", fmt.Sprintf(":%d", n), "-displayfd", "3", "-screen", "0",
		fmt.Sprintf("%dx%dx24", width, height), "-nolisten", "tcp", "-br", "-noreset")
	cmd.ExtraFiles = []*os.File{w}
	stderr := new(syncbuf.Buffer)
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		w.Close()
		t.Fatalf("xvfb: %v (install the xvfb package)", err)
	}
	w.Close()
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	stop := func() {
		// SIGTERM lets Xvfb remove its socket and lock file.
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}
	// The number arrives once the server accepts connections; EOF when
	// it gave up.
	num := make(chan string, 1)
	go func() {
		// The whole line: Xvfb dies of EPIPE if the pipe closes between
		// its writes of the number and the newline.
		line, _ := bufio.NewReader(r).ReadString('\n')
		num <- strings.TrimSpace(line)
	}()
	select {
	case s := <-num:
		if s != strconv.Itoa(n) || !accepts(n) {
			stop()
			return nil, "display :" + strconv.Itoa(n) + " did not accept a connection: " + stderr.String()
		}
		t.Cleanup(stop)
		return &Display{Name: ":" + s, Width: width, Height: height, stderr: stderr}, ""
	case <-time.After(30 * time.Second):
		stop()
		t.Fatalf("xvfb: not ready after 30 s: %s", stderr.String())
	}
	return nil, ""
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
		t.Fatalf("screenshot: %v: %s\nXvfb says: %s", err, out, d.stderr)
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
