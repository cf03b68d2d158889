package playback

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ipfs-tube/ipfs-tube/internal/testvideo"
)

// Bounded waits: generous, because the machine may be busy with other
// packages' tests.
const (
	waitLong  = 30 * time.Second
	pollEvery = 10 * time.Millisecond
)

// captured is a frame copied out of the frame function.
type captured struct {
	Frame
	img *image.RGBA
	at  time.Time
}

type frameWaiter struct {
	cond func(Frame) bool
	ch   chan captured
}

// recorder is the frame function of a test player: it counts frames and
// hands copies of the ones tests wait for.
type recorder struct {
	mu      sync.Mutex
	count   int
	last    Frame
	waiters []*frameWaiter
}

func (r *recorder) onFrame(f Frame) {
	r.mu.Lock()
	r.count++
	r.last = f
	var matched []*frameWaiter
	kept := r.waiters[:0]
	for _, w := range r.waiters {
		if w.cond(f) {
			matched = append(matched, w)
		} else {
			kept = append(kept, w)
		}
	}
	r.waiters = kept
	r.mu.Unlock()
	for _, w := range matched {
		img := image.NewRGBA(f.Image.Rect)
		copy(img.Pix, f.Image.Pix)
		c := f
		c.Image = nil
		w.ch <- captured{Frame: c, img: img, at: time.Now()}
	}
}

// expect registers interest in the first frame matching cond; register it
// before the action that should produce the frame.
func (r *recorder) expect(cond func(Frame) bool) <-chan captured {
	w := &frameWaiter{cond: cond, ch: make(chan captured, 1)}
	r.mu.Lock()
	r.waiters = append(r.waiters, w)
	r.mu.Unlock()
	return w.ch
}

func (r *recorder) frames() (int, Frame) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.count, r.last
}

func waitFrame(t *testing.T, ch <-chan captured, what string) captured {
	t.Helper()
	select {
	case c := <-ch:
		return c
	case <-time.After(waitLong):
		t.Fatalf("no frame %s within %v", what, waitLong)
		return captured{}
	}
}

func newTestPlayer(t *testing.T, opts ...Option) (*Player, *recorder) {
	t.Helper()
	rec := &recorder{}
	log := slog.New(slog.NewTextHandler(testLogWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts = append([]Option{WithAudio(false), WithFrameFunc(rec.onFrame), WithNetworkTimeout(5 * time.Second), WithLogger(log)}, opts...)
	p, err := New(context.Background(), opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p, rec
}

// testLogWriter sends the player's log to the test's, shown on failure or
// with -v. Players of a test are closed in its cleanup, before the test
// counts as finished, so nothing logs too late.
type testLogWriter struct{ t *testing.T }

func (w testLogWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// waitStatus polls until cond holds and returns that status.
func waitStatus(t *testing.T, p *Player, what string, cond func(Status) bool) Status {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for {
		st := p.Status()
		if cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: still %s at %.2f s (err %v) after %v", what, st.State, st.Position, st.Err, waitLong)
		}
		time.Sleep(pollEvery)
	}
}

func stateIs(s State) func(Status) bool { return func(st Status) bool { return st.State == s } }

// lumaSpread is the standard deviation of the picture's luma: near 0 for a
// black or uniform frame, tens for a test pattern.
func lumaSpread(img *image.RGBA) float64 {
	var sum, sq float64
	n := 0
	for y := img.Rect.Min.Y; y < img.Rect.Max.Y; y++ {
		for x := img.Rect.Min.X; x < img.Rect.Max.X; x += 3 {
			c := img.RGBAAt(x, y)
			l := 0.299*float64(c.R) + 0.587*float64(c.G) + 0.114*float64(c.B)
			sum += l
			sq += l * l
			n++
		}
	}
	mean := sum / float64(n)
	return math.Sqrt(sq/float64(n) - mean*mean)
}

// TestPlayFormats plays each container the app meets over real HTTP through
// its whole life: first frame, playing, pause, exact seek, end.
func TestPlayFormats(t *testing.T) {
	for _, spec := range []testvideo.Spec{
		{Container: "mp4"},
		{Container: "mp4", FastStart: true},
		{Container: "webm"},
	} {
		name := spec.Container
		if spec.FastStart {
			name += "-faststart"
		} else if spec.Container == "mp4" {
			name += "-index-at-end"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := testvideo.Make(t, spec)
			url := testvideo.Serve(t, path)
			p, rec := newTestPlayer(t)

			firstCh := rec.expect(func(Frame) bool { return true })
			start := time.Now()
			if err := p.Load(context.Background(), url); err != nil {
				t.Fatal(err)
			}
			first := waitFrame(t, firstCh, "after Load")
			t.Logf("time to first frame: %v", first.at.Sub(start).Round(time.Millisecond))
			if first.img.Rect.Dx() != 640 || first.img.Rect.Dy() != 360 {
				t.Errorf("first frame %v, want the video's 640x360", first.img.Rect)
			}
			if s := lumaSpread(first.img); s < 20 {
				t.Errorf("first frame looks blank: luma spread %.1f", s)
			}
			if a := first.img.Pix[3]; a != 0xff {
				t.Errorf("alpha %d, want opaque", a)
			}

			st := waitStatus(t, p, "playing", stateIs(Playing))
			if st.Duration < 9.9 || st.Duration > 10.1 || st.Width != 640 || st.Height != 360 {
				t.Errorf("status %+v: want 10 s at 640x360", st)
			}
			from := st.Position
			waitStatus(t, p, "position advancing", func(s Status) bool { return s.Position > from+0.5 })

			// Pause: the position must stay put and frames stop.
			if err := p.Pause(); err != nil {
				t.Fatal(err)
			}
			paused := waitStatus(t, p, "paused", stateIs(Paused))
			n0, _ := rec.frames()
			observe := time.Now().Add(700 * time.Millisecond)
			for time.Now().Before(observe) {
				if s := p.Status(); s.Position != paused.Position || s.State != Paused {
					t.Fatalf("while paused: %s at %.3f s, paused at %.3f s", s.State, s.Position, paused.Position)
				}
				time.Sleep(pollEvery)
			}
			// mpv may redraw the paused frame, but not play on.
			if n1, last := rec.frames(); n1 > n0+3 || last.Position != paused.Position {
				t.Errorf("%d frames delivered while paused, the last at %.3f s (paused at %.3f s)", n1-n0, last.Position, paused.Position)
			}

			// Exact seek while paused to 80%: position within 0.1 s, and the
			// first frame of the seek is ffmpeg's frame at that moment.
			const target = 8.0
			before := p.Status().SeekSeq
			seekCh := rec.expect(func(f Frame) bool { return f.SeekSeq > before })
			seekStart := time.Now()
			if err := p.Seek(target); err != nil {
				t.Fatal(err)
			}
			got := waitFrame(t, seekCh, "after Seek")
			t.Logf("seek latency (paused): %v", got.at.Sub(seekStart).Round(time.Millisecond))
			st = waitStatus(t, p, "seek done", func(s Status) bool { return s.SeekSeq > before })
			if math.Abs(st.Position-target) > 0.1 || st.State != Paused {
				t.Errorf("after seek to %.1f: %s at %.3f s", target, st.State, st.Position)
			}
			want := testvideo.FrameAt(t, path, time.Duration(target*float64(time.Second)), 640, 360)
			db := testvideo.PSNR(got.img, want)
			t.Logf("frame after seek vs ffmpeg's: PSNR %.1f dB", db)
			if db < 30 {
				t.Errorf("frame after seek vs ffmpeg's frame at %.1f s: PSNR %.1f dB, want >= 30", target, db)
				savePNGs(t, got.img, want)
			}

			// Resume: the position moves on from the target and reaches the end.
			if err := p.Play(); err != nil {
				t.Fatal(err)
			}
			waitStatus(t, p, "playing after seek", func(s Status) bool { return s.State == Playing && s.Position > target+0.2 })
			st = waitStatus(t, p, "end of file", stateIs(Ended))
			if st.Position < 9.8 {
				t.Errorf("ended at %.2f s, want about 10", st.Position)
			}
			// Play after the end starts over.
			if err := p.Play(); err != nil {
				t.Fatal(err)
			}
			waitStatus(t, p, "playing again from the start", func(s Status) bool { return s.State == Playing && s.Position < 5 })
		})
	}
}

// TestSeekWhilePlaying checks an exact seek during playback: the position
// lands on the target and the first frame counted for the seek shows it.
func TestSeekWhilePlaying(t *testing.T) {
	t.Parallel()
	path := testvideo.Make(t, testvideo.Spec{})
	p, rec := newTestPlayer(t)
	if err := p.Load(context.Background(), testvideo.Serve(t, path)); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, p, "playing", func(s Status) bool { return s.State == Playing && s.Position > 0.3 })
	for _, target := range []float64{7.0, 2.5, 5.0} {
		before := p.Status().SeekSeq
		ch := rec.expect(func(f Frame) bool { return f.SeekSeq > before })
		start := time.Now()
		if err := p.Seek(target); err != nil {
			t.Fatal(err)
		}
		got := waitFrame(t, ch, fmt.Sprintf("after Seek(%.1f)", target))
		t.Logf("seek to %.1f: first frame after %v", target, got.at.Sub(start).Round(time.Millisecond))
		st := waitStatus(t, p, "seek done", func(s Status) bool { return s.SeekSeq > before })
		// The playhead moves on while we look; it must be at the target or
		// just past it, never before.
		if st.Position < target-0.1 || st.Position > target+1 {
			t.Errorf("seek to %.1f: position %.3f", target, st.Position)
		}
		// Playing on, the renderer may be a frame or two past the target by
		// the time mpv reports the seek (more on a busy machine): compare with
		// ffmpeg's frames from the target up to 100 ms later. Frames of
		// another moment score far lower (see testvideo's tests).
		best, bestAt := 0.0, 0
		for k := 0; k <= 3; k++ {
			at := time.Duration(target*float64(time.Second)) + time.Duration(k)*time.Second/30
			if db := testvideo.PSNR(got.img, testvideo.FrameAt(t, path, at, 640, 360)); db > best {
				best, bestAt = db, k
			}
		}
		t.Logf("seek to %.1f while playing: best match %d frames after the target, PSNR %.1f dB", target, bestAt, best)
		if best < 30 {
			t.Errorf("seek to %.1f while playing: PSNR %.1f dB against ffmpeg's frames, want >= 30", target, best)
		}
	}
}

func savePNGs(t *testing.T, got, want *image.RGBA) {
	t.Helper()
	// Kept after the test, for a look (git-ignored).
	dir := filepath.Join("testdata", "failed", strings.ReplaceAll(t.Name(), "/", "_"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Log(err)
		return
	}
	for name, img := range map[string]*image.RGBA{"got.png": got, "want.png": want} {
		if err := writePNG(filepath.Join(dir, name), img); err != nil {
			t.Log(err)
		}
	}
	t.Logf("frames written to %s", dir)
}

// TestBadInputs feeds what a wrong CID or a broken upload would: each must
// end in a clear state, promptly, without crashing mpv.
func TestBadInputs(t *testing.T) {
	dir := t.TempDir()
	random := filepath.Join(dir, "random.mp4")
	buf := make([]byte, 1<<20)
	rand.Read(buf)
	if err := os.WriteFile(random, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	text := filepath.Join(dir, "notes.txt")
	var lines []byte
	for i := 0; i < 2000; i++ {
		lines = append(lines, fmt.Sprintf("line %d of a plain text file, not a video\n", i)...)
	}
	if err := os.WriteFile(text, lines, 0o644); err != nil {
		t.Fatal(err)
	}
	short := testvideo.Spec{Duration: 6 * time.Second}
	for _, tc := range []struct {
		name string
		path string
		// wantErr is the error expected; nil means the file plays and ends
		// early instead.
		wantErr   error
		maxEndPos float64
	}{
		{"random-bytes", random, ErrNotVideo, 0},
		{"text-file", text, ErrNotVideo, 0},
		{"audio-only", testvideo.Make(t, testvideo.Spec{AudioOnly: true, Duration: 3 * time.Second}), ErrNoVideoStream, 0},
		// The index is at the end, so half a file has no index at all.
		{"truncated-index-at-end", testvideo.MakeTruncated(t, short, 0.5), ErrNotVideo, 0},
		// With the index first, the half that is there plays, then it ends.
		{"truncated-faststart", testvideo.MakeTruncated(t, testvideo.Spec{Duration: 6 * time.Second, FastStart: true}, 0.5), nil, 4.5},
		{"truncated-webm", testvideo.MakeTruncated(t, testvideo.Spec{Container: "webm", Duration: 6 * time.Second}, 0.5), nil, 4.5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, _ := newTestPlayer(t)
			start := time.Now()
			if err := p.Load(context.Background(), testvideo.Serve(t, tc.path)); err != nil {
				t.Fatal(err)
			}
			st := waitStatus(t, p, "error or end", func(s Status) bool { return s.State == Error || s.State == Ended })
			t.Logf("%s after %v: %s at %.2f s, err: %v", tc.name, time.Since(start).Round(time.Millisecond), st.State, st.Position, st.Err)
			if tc.wantErr != nil {
				if st.State != Error || !errors.Is(st.Err, tc.wantErr) {
					t.Errorf("state %s, err %v; want error %v", st.State, st.Err, tc.wantErr)
				}
				return
			}
			if st.State != Ended || st.Position > tc.maxEndPos {
				t.Errorf("state %s at %.2f s; want ended early, before %.1f s", st.State, st.Position, tc.maxEndPos)
			}
		})
	}
}

// silentServer accepts connections and never answers.
func silentServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + l.Addr().String() + "/ipfs/bafy-never"
}

// stallingReader serves a file's bytes up to cut; a read past it blocks
// until stop is closed.
type stallingReader struct {
	data []byte
	cut  int64
	off  int64
	stop <-chan struct{}
}

func (r *stallingReader) Read(b []byte) (int, error) {
	if r.off >= r.cut {
		<-r.stop
		return 0, io.ErrUnexpectedEOF
	}
	n := copy(b, r.data[r.off:min(r.cut, int64(len(r.data)))])
	r.off += int64(n)
	return n, nil
}

func (r *stallingReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
		r.off = offset
	case io.SeekCurrent:
		r.off += offset
	case io.SeekEnd:
		r.off = int64(len(r.data)) + offset
	}
	return r.off, nil
}

// stallingServer serves a real video like a gateway (Range requests work)
// whose bytes past cut never arrive.
func stallingServer(t *testing.T, path string, cut int64) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "video.mp4", time.Time{}, &stallingReader{data: data, cut: cut, stop: stop})
	}))
	t.Cleanup(func() {
		close(stop)
		srv.Close()
	})
	return srv.URL + "/video.mp4"
}

func TestNetworkTimeout(t *testing.T) {
	const timeout = 2 * time.Second
	// Margin for mpv and the watchdog's tick on a busy machine.
	const margin = 8 * time.Second
	video := testvideo.Make(t, testvideo.Spec{FastStart: true, Duration: 6 * time.Second})
	for _, tc := range []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"never-answers", silentServer},
		// The index and a second of video, then silence.
		{"stalls-mid-file", func(t *testing.T) string { return stallingServer(t, video, 256<<10) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, _ := newTestPlayer(t, WithNetworkTimeout(timeout))
			start := time.Now()
			if err := p.Load(context.Background(), tc.url(t)); err != nil {
				t.Fatal(err)
			}
			st := waitStatus(t, p, "error", func(s Status) bool { return s.State == Error || s.State == Ended })
			took := time.Since(start)
			t.Logf("%s after %v: %v", st.State, took.Round(time.Millisecond), st.Err)
			if st.State != Error || !errors.Is(st.Err, ErrTimeout) {
				t.Errorf("state %s, err %v; want error %v", st.State, st.Err, ErrTimeout)
			}
			if took < timeout-100*time.Millisecond || took > timeout+margin {
				t.Errorf("gave up after %v, want about %v", took, timeout)
			}
		})
	}
}

func TestCloseDuringLoading(t *testing.T) {
	// Counted without other tests running (this test is not parallel).
	before := runtime.NumGoroutine()
	url := silentServer(t)
	for i := 0; i < 3; i++ {
		p, err := New(context.Background(), WithAudio(false), WithFrameFunc(func(Frame) {}), WithStatusFunc(func(Status) {}))
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Load(context.Background(), url); err != nil {
			t.Fatal(err)
		}
		waitStatus(t, p, "loading", stateIs(Loading))
		done := make(chan struct{})
		go func() {
			p.Close()
			p.Close() // idempotent
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(waitLong):
			t.Fatal("Close during loading hung")
		}
		if err := p.Seek(1); !errors.Is(err, ErrClosed) {
			t.Errorf("Seek after Close: %v, want %v", err, ErrClosed)
		}
		if err := p.Load(context.Background(), url); !errors.Is(err, ErrClosed) {
			t.Errorf("Load after Close: %v, want %v", err, ErrClosed)
		}
	}
	// The accept loop of the silent server is the one goroutine this test
	// leaves running until cleanup.
	deadline := time.Now().Add(waitLong)
	for runtime.NumGoroutine() > before+1 {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("goroutines: %d before, %d after Close\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(pollEvery)
	}
}

// TestCloseFromCallbacks: the GUI may close the player from a status or
// frame function; that must not wait for itself.
func TestCloseFromCallbacks(t *testing.T) {
	t.Parallel()
	url := testvideo.Serve(t, testvideo.Make(t, testvideo.Spec{Duration: 3 * time.Second}))
	for _, from := range []string{"status", "frame"} {
		closed := make(chan struct{})
		var once sync.Once
		var p *Player
		ready := make(chan struct{})
		closeIt := func() {
			<-ready
			once.Do(func() { p.Close(); close(closed) })
		}
		opts := []Option{WithAudio(false)}
		if from == "status" {
			opts = append(opts, WithFrameFunc(func(Frame) {}), WithStatusFunc(func(s Status) {
				if s.State == Playing {
					closeIt()
				}
			}))
		} else {
			opts = append(opts, WithFrameFunc(func(Frame) { closeIt() }))
		}
		var err error
		p, err = New(context.Background(), opts...)
		if err != nil {
			t.Fatal(err)
		}
		close(ready)
		if err := p.Load(context.Background(), url); err != nil {
			t.Fatal(err)
		}
		select {
		case <-closed:
		case <-time.After(waitLong):
			t.Fatalf("Close from the %s function hung", from)
		}
		p.Close()
	}
}

func TestTracksAndSubtitles(t *testing.T) {
	t.Parallel()
	path := testvideo.Make(t, testvideo.Spec{Duration: 6 * time.Second, AudioTracks: 2, Subtitles: true})
	p, rec := newTestPlayer(t)
	if err := p.Load(context.Background(), testvideo.Serve(t, path)); err != nil {
		t.Fatal(err)
	}
	st := waitStatus(t, p, "playing", stateIs(Playing))
	var audio, subs []Track
	for _, tr := range st.Tracks {
		switch tr.Type {
		case AudioTrack:
			audio = append(audio, tr)
		case SubtitleTrack:
			subs = append(subs, tr)
		}
	}
	if len(audio) != 2 || audio[0].Lang != "eng" || audio[1].Lang != "fra" || len(subs) != 1 {
		t.Fatalf("tracks %+v: want audio eng and fra and one subtitle track", st.Tracks)
	}
	if err := p.SelectAudio(audio[1].ID); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, p, "second audio track selected", func(s Status) bool {
		tr, _ := s.Track(AudioTrack, audio[1].ID)
		return tr.Selected
	})
	if err := p.SelectAudio(99); err == nil {
		t.Error("SelectAudio(99) accepted a track that does not exist")
	}

	// A subtitle is drawn into the frame: the same paused moment must look
	// different with and without it.
	if err := p.Pause(); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, p, "paused", stateIs(Paused))
	if err := p.SelectSubtitle(0); err != nil {
		t.Fatal(err)
	}
	grab := func(what string) *image.RGBA {
		before := p.Status().SeekSeq
		ch := rec.expect(func(f Frame) bool { return f.SeekSeq > before })
		if err := p.Seek(2.5); err != nil {
			t.Fatal(err)
		}
		return waitFrame(t, ch, what).img
	}
	plain := grab("without subtitles")
	if err := p.SelectSubtitle(subs[0].ID); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, p, "subtitle selected", func(s Status) bool {
		tr, _ := s.Track(SubtitleTrack, subs[0].ID)
		return tr.Selected
	})
	withSubs := grab("with subtitles")
	if db := testvideo.PSNR(plain, withSubs); math.IsInf(db, 1) || db > 45 {
		t.Errorf("frame with subtitles equals the frame without (PSNR %.1f dB)", db)
	}
}

func TestSurfaceSizeAndVolume(t *testing.T) {
	t.Parallel()
	path := testvideo.Make(t, testvideo.Spec{Duration: 6 * time.Second})
	p, rec := newTestPlayer(t)
	if err := p.Load(context.Background(), testvideo.Serve(t, path)); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, p, "playing", stateIs(Playing))
	if err := p.Pause(); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, p, "paused", stateIs(Paused))
	// A paused frame is drawn again at the new size, letterboxed: 4:3 around
	// 16:9 leaves black bars at top and bottom.
	ch := rec.expect(func(f Frame) bool { return f.Image.Rect.Dx() == 320 })
	if err := p.SetSurfaceSize(320, 240); err != nil {
		t.Fatal(err)
	}
	f := waitFrame(t, ch, "at 320x240")
	if f.img.Rect.Dy() != 240 {
		t.Fatalf("frame %v, want 320x240", f.img.Rect)
	}
	top := f.img.SubImage(image.Rect(0, 0, 320, 20)).(*image.RGBA)
	if s := lumaSpread(top); s > 1 || top.Pix[0] > 16 {
		t.Errorf("top bar not black: spread %.1f, first pixel %v", s, top.Pix[:4])
		savePNGs(t, f.img, f.img)
	}
	if err := p.SetSurfaceSize(0, 10); err == nil {
		t.Error("SetSurfaceSize(0, 10) accepted")
	}

	if err := p.SetVolume(40); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, p, "volume 40", func(s Status) bool { return s.Volume == 40 })
	if err := p.SetVolume(140); err == nil {
		t.Error("SetVolume(140) accepted")
	}
}

// cpuTime is the CPU time this process has used.
func cpuTime(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestLarge1080p plays a 2-minute 1080p30 file over HTTP: seek far in,
// check the frame, and measure what playing costs with and without frames.
// make test runs it with and without the race detector; the CPU figures are
// only meaningful without.
func TestLarge1080p(t *testing.T) {
	spec := testvideo.Spec{Width: 1920, Height: 1080, Duration: 2 * time.Minute, FastStart: false}
	path := testvideo.Make(t, spec)
	url := testvideo.Serve(t, path)

	measure := func(withFrames bool) (cpuPct float64, fps float64, ttff time.Duration) {
		var count int
		var mu sync.Mutex
		firstFrame := make(chan time.Time, 1)
		opts := []Option{WithAudio(false)}
		if withFrames {
			// Copy each frame, as a GUI consumer does.
			var keep *image.RGBA
			opts = append(opts, WithFrameFunc(func(f Frame) {
				if keep == nil || keep.Rect != f.Image.Rect {
					keep = image.NewRGBA(f.Image.Rect)
				}
				copy(keep.Pix, f.Image.Pix)
				mu.Lock()
				count++
				if count == 1 {
					firstFrame <- time.Now()
				}
				mu.Unlock()
			}))
		}
		p, err := New(context.Background(), opts...)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		start := time.Now()
		if err := p.Load(context.Background(), url); err != nil {
			t.Fatal(err)
		}
		if withFrames {
			select {
			case at := <-firstFrame:
				ttff = at.Sub(start)
			case <-time.After(waitLong):
				t.Fatal("no first frame")
			}
		}
		waitStatus(t, p, "playing", func(s Status) bool { return s.State == Playing && s.Position > 1 })
		mu.Lock()
		n0 := count
		mu.Unlock()
		c0, w0, pos0 := cpuTime(t), time.Now(), p.Status().Position
		window := 6 * time.Second
		if raceEnabled {
			window = 2 * time.Second
		}
		waitStatus(t, p, "playing on", func(s Status) bool { return time.Since(w0) >= window })
		c1, w1, pos1 := cpuTime(t), time.Now(), p.Status().Position
		mu.Lock()
		n1 := count
		mu.Unlock()
		wall := w1.Sub(w0)
		if pos1-pos0 < wall.Seconds()*0.5 {
			t.Errorf("played %.1f s of video in %v: too slow", pos1-pos0, wall)
		}
		return 100 * float64(c1-c0) / float64(wall), float64(n1-n0) / wall.Seconds(), ttff
	}

	// Seek 80% in on the big file and check the picture.
	p, rec := newTestPlayer(t)
	if err := p.Load(context.Background(), url); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, p, "playing", stateIs(Playing))
	if err := p.Pause(); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, p, "paused", stateIs(Paused))
	const target = 96.0
	before := p.Status().SeekSeq
	ch := rec.expect(func(f Frame) bool { return f.SeekSeq > before })
	seekStart := time.Now()
	if err := p.Seek(target); err != nil {
		t.Fatal(err)
	}
	got := waitFrame(t, ch, "after seek")
	t.Logf("1080p seek to %.0f s over HTTP: first frame after %v", target, got.at.Sub(seekStart).Round(time.Millisecond))
	st := waitStatus(t, p, "seek done", func(s Status) bool { return s.SeekSeq > before })
	if math.Abs(st.Position-target) > 0.1 {
		t.Errorf("seek to %.0f: position %.3f", target, st.Position)
	}
	want := testvideo.FrameAt(t, path, time.Duration(target)*time.Second, 1920, 1080)
	if db := testvideo.PSNR(got.img, want); db < 30 {
		t.Errorf("1080p frame after seek (seq %d, at %.3f s): PSNR %.1f dB, want >= 30", got.Seq, got.Position, db)
		savePNGs(t, got.img, want)
	}
	p.Close()

	cpuFrames, fps, ttff := measure(true)
	cpuDecode, _, _ := measure(false)
	t.Logf("1080p30 playback, whole process CPU (100%% = one core): %.0f%% rendering RGBA frames (%.1f frames/s delivered and copied), %.0f%% decoding only (no video output); time to first frame %v (race detector %v)",
		cpuFrames, fps, cpuDecode, ttff.Round(time.Millisecond), raceEnabled)
	if !raceEnabled && fps < 20 {
		t.Errorf("only %.1f frames/s at 1080p30", fps)
	}
}

func writePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// TestStatusFunc follows a short video through the status function alone.
func TestStatusFunc(t *testing.T) {
	t.Parallel()
	url := testvideo.Serve(t, testvideo.Make(t, testvideo.Spec{Duration: 3 * time.Second}))
	var mu sync.Mutex
	var seen []State
	ended := make(chan Status, 1)
	p, _ := newTestPlayer(t, WithStatusFunc(func(s Status) {
		mu.Lock()
		if len(seen) == 0 || seen[len(seen)-1] != s.State {
			seen = append(seen, s.State)
		}
		mu.Unlock()
		if s.State == Ended {
			select {
			case ended <- s:
			default:
			}
		}
	}))
	if err := p.Load(context.Background(), url); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-ended:
		if s.Position < 2.9 || s.Duration < 2.9 {
			t.Errorf("ended at %.2f of %.2f s", s.Position, s.Duration)
		}
	case <-time.After(waitLong):
		t.Fatal("status function never saw Ended")
	}
	mu.Lock()
	defer mu.Unlock()
	// Intermediate states may be coalesced away, but playing must show.
	if len(seen) < 2 || seen[len(seen)-1] != Ended || !slices.Contains(seen, Playing) {
		t.Errorf("states seen %v, want ... playing ... ended", seen)
	}
}

// TestSlowConsumers: a GUI that stops taking frames and status must not
// stall playback.
func TestSlowConsumers(t *testing.T) {
	t.Parallel()
	url := testvideo.Serve(t, testvideo.Make(t, testvideo.Spec{Duration: 3 * time.Second}))
	release := make(chan struct{})
	var frames, statuses atomic.Int32
	block := func() {
		select {
		case <-release:
		case <-time.After(waitLong):
		}
	}
	p, err := New(context.Background(), WithAudio(false),
		WithFrameFunc(func(Frame) { frames.Add(1); block() }),
		WithStatusFunc(func(Status) { statuses.Add(1); block() }))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	defer close(release) // before Close, which waits for the functions
	start := time.Now()
	if err := p.Load(context.Background(), url); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, p, "end with stuck consumers", stateIs(Ended))
	if took := time.Since(start); took > 3*time.Second+5*time.Second {
		t.Errorf("3 s video took %v with stuck consumers", took)
	}
	if frames.Load() != 1 || statuses.Load() != 1 {
		t.Errorf("stuck functions called %d (frame) and %d (status) times, want once each", frames.Load(), statuses.Load())
	}
}

// TestOptionsReachMpv checks the cache bound and timeout are what mpv uses.
func TestOptionsReachMpv(t *testing.T) {
	t.Parallel()
	p, err := New(context.Background(), WithAudio(false), WithCache(8<<20, 2<<20), WithNetworkTimeout(7*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for name, want := range map[string]string{
		"demuxer-max-bytes":      "8388608",
		"demuxer-max-back-bytes": "2097152",
		"network-timeout":        "7.000000",
		"vo":                     "null", // no frame function
		"ao":                     "null",
		"keep-open":              "yes",
	} {
		if got := p.m.GetPropertyString(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if _, err := New(context.Background(), WithNetworkTimeout(0)); err == nil {
		t.Error("New accepted a zero network timeout")
	}
	if err := p.Seek(math.NaN()); err == nil {
		t.Error("Seek(NaN) accepted")
	}
}

// TestLoadAgain: one player plays one URL after another, recovering from an
// error and replacing a playing video.
func TestLoadAgain(t *testing.T) {
	t.Parallel()
	text := filepath.Join(t.TempDir(), "page.html")
	if err := os.WriteFile(text, []byte("<html><body>not a video</body></html>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mp4 := testvideo.Serve(t, testvideo.Make(t, testvideo.Spec{Duration: 6 * time.Second}))
	webm := testvideo.Serve(t, testvideo.Make(t, testvideo.Spec{Container: "webm", Duration: 4 * time.Second, Width: 320, Height: 240}))
	p, rec := newTestPlayer(t)
	ctx := context.Background()

	if err := p.Load(ctx, testvideo.Serve(t, text)); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, p, "error", stateIs(Error))
	// A gateway answers 404 for a path it does not have.
	if err := p.Load(ctx, mp4+".missing"); err != nil {
		t.Fatal(err)
	}
	st := waitStatus(t, p, "error", func(s Status) bool { return s.State == Error && s.URL == mp4+".missing" })
	if !errors.Is(st.Err, ErrLoadFailed) {
		t.Errorf("404: err %v, want %v", st.Err, ErrLoadFailed)
	}
	t.Logf("404: %v", st.Err)

	if err := p.Load(ctx, mp4); err != nil {
		t.Fatal(err)
	}
	st = waitStatus(t, p, "playing after an error", func(s Status) bool { return s.State == Playing && s.Position > 0.2 })
	if st.Err != nil || st.URL != mp4 {
		t.Errorf("status %+v after loading a good video", st)
	}

	ch := rec.expect(func(f Frame) bool { return f.Image.Rect.Dx() == 320 })
	if err := p.Load(ctx, webm); err != nil {
		t.Fatal(err)
	}
	waitFrame(t, ch, "of the second video")
	st = waitStatus(t, p, "second video playing", func(s Status) bool { return s.State == Playing && s.Duration > 0 })
	if st.URL != webm || st.Width != 320 || math.Abs(st.Duration-4) > 0.1 {
		t.Errorf("after replacing: %+v, want the 4 s 320x240 webm", st)
	}
}
