package playerview

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"image"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"

	"github.com/ipfs-tube/ipfs-tube/app/internal/link"
	"github.com/ipfs-tube/ipfs-tube/app/internal/ui/uitest"
	"github.com/ipfs-tube/ipfs-tube/internal/testvideo"
	"github.com/ipfs-tube/ipfs-tube/library"
	"github.com/ipfs-tube/ipfs-tube/node"
	"github.com/ipfs-tube/ipfs-tube/playback"
)

// waitLimit bounds every wait, as in the other views' tests.
const waitLimit = uitest.WaitLimit

// httpSource is a real Source over files served on a loopback HTTP
// server: the point of these tests is the view, and mpv reads such a
// server as it reads the node's gateway. Served bytes count as fetched
// from gateways.
type httpSource struct {
	srv    *httptest.Server
	served atomic.Int64

	mu    sync.Mutex
	files map[string]httpFile // by CID string
	// localShare is the share of each file LocalRanges reports as local.
	localShare float64
	// resolveErr fails every Resolve; hang makes Resolve wait for ctx.
	resolveErr error
	hang       bool
}

type httpFile struct {
	path  string
	title string
	size  int64
}

func newHTTPSource(t *testing.T) *httpSource {
	s := &httpSource{files: map[string]httpFile{}, localShare: 0.5}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		f, ok := s.files[strings.TrimPrefix(r.URL.Path, "/")]
		s.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		http.ServeFile(countingWriter{w, &s.served}, r, f.path)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

type countingWriter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (c countingWriter) Write(b []byte) (int, error) {
	n, err := c.ResponseWriter.Write(b)
	c.n.Add(int64(n))
	return n, err
}

// add serves path under a raw CID of its bytes and returns the link.
func (s *httpSource) add(t *testing.T, path, title string) link.Target {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	mh, err := multihash.Encode(sum[:], multihash.SHA2_256)
	if err != nil {
		t.Fatal(err)
	}
	c := cid.NewCidV1(cid.Raw, mh)
	s.mu.Lock()
	s.files[c.String()] = httpFile{path: path, title: title, size: int64(len(b))}
	s.mu.Unlock()
	return link.Target{Cid: c}
}

func (s *httpSource) Resolve(ctx context.Context, t link.Target) (Stream, error) {
	s.mu.Lock()
	f, ok := s.files[t.Cid.String()]
	hang, rerr := s.hang, s.resolveErr
	s.mu.Unlock()
	switch {
	case hang:
		<-ctx.Done()
		return Stream{}, ctx.Err()
	case rerr != nil:
		return Stream{}, rerr
	case !ok:
		return Stream{}, fmt.Errorf("resolve %s: not found", t)
	}
	return Stream{URL: s.srv.URL + "/" + t.Cid.String(), File: t.Cid, Title: f.title, Size: f.size}, nil
}

func (s *httpSource) LocalRanges(_ context.Context, c cid.Cid) ([]node.ByteRange, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.files[c.String()]
	if !ok {
		return nil, nil
	}
	return []node.ByteRange{{Start: 0, End: int64(float64(f.size) * s.localShare)}}, nil
}

func (s *httpSource) Stats(context.Context) (Stats, error) {
	return Stats{BytesFromGateways: s.served.Load(), Peers: 2}, nil
}

// harness is a view in a test window.
type harness struct {
	t   *testing.T
	v   *View
	w   fyne.Window
	src *httpSource
}

func newHarness(t *testing.T, src *httpSource, opts ...Option) *harness {
	t.Helper()
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	h := &harness{t: t, w: w, src: src}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		quiet = slog.Default()
	}
	opts = append([]Option{WithAudio(false), WithWindow(w), WithLogger(quiet)}, opts...)
	h.v = New(context.Background(), src, opts...)
	h.ui(func() {
		w.SetContent(h.v.Content())
		w.Resize(fyne.NewSize(640, 420))
	})
	// Registered after the window, so it runs before the window closes.
	t.Cleanup(h.v.Close)
	return h
}

// ui runs fn exclusive with the view's widget updates: the test driver
// runs fyne.Do inline on the player's goroutines.
func (h *harness) ui(fn func()) {
	h.v.uiMu.Lock()
	defer h.v.uiMu.Unlock()
	fn()
}

func (h *harness) key(name fyne.KeyName) bool {
	var used bool
	h.ui(func() { used = h.v.TypedKey(&fyne.KeyEvent{Name: name}) })
	return used
}

// waitFor polls the view's status until cond holds. A player error ends
// the wait early unless allowErr.
func (h *harness) waitFor(what string, allowErr bool, cond func(Status) bool) Status {
	h.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		st := h.v.Status()
		if cond(st) {
			return st
		}
		if !allowErr && st.Err != nil {
			h.t.Fatalf("waiting for %s: %v", what, st.Err)
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("no %s within %v; status %+v", what, waitLimit, st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (h *harness) waitPlaying() Status {
	h.t.Helper()
	return h.waitFor("playing with a frame shown", false, func(s Status) bool {
		return s.State == playback.Playing && s.Frames > 0 && s.Player.Duration > 0
	})
}

// uiText reads a label under the UI lock.
func (h *harness) uiText(read func(w *widgets) string) string {
	var s string
	h.ui(func() { s = read(h.v.widgets) })
	return s
}

func video(t *testing.T, spec testvideo.Spec) string {
	t.Helper()
	return testvideo.Make(t, spec)
}

// The standard clip: 20 s with its index first, so it starts quickly.
var clip = testvideo.Spec{Duration: 20 * time.Second, FastStart: true}

// playClip opens the standard clip, served under title, in a new harness
// and waits until it plays.
func playClip(t *testing.T, title string, opts ...Option) (*harness, link.Target, Status) {
	t.Helper()
	src := newHTTPSource(t)
	target := src.add(t, video(t, clip), title)
	h := newHarness(t, src, opts...)
	h.v.Open(context.Background(), target)
	return h, target, h.waitPlaying()
}

func TestOpenShowsPicture(t *testing.T) {
	h, target, st := playClip(t, "Test pattern")
	if st.Title != "Test pattern" || st.Stream.File != target.Cid {
		t.Errorf("title %q, file %s; want the stream's", st.Title, st.Stream.File)
	}
	if math.Abs(st.Player.Duration-20) > 0.5 {
		t.Errorf("duration %.2f s, want 20", st.Player.Duration)
	}

	// The picture is a real frame rendered at the video area's pixel size
	// (letterboxed by the player), not the blank placeholder.
	var pic *image.RGBA
	var sw, shh int
	h.waitFor("a frame at the surface size", false, func(Status) bool {
		h.ui(func() {
			pic, _ = h.v.surface.picture().(*image.RGBA)
			sw, shh = h.v.surface.pixelSize()
		})
		return pic != nil && pic != blank && pic.Rect.Dx() == sw && pic.Rect.Dy() == shh
	})
	var lit, colours int
	seen := map[[3]uint8]bool{}
	for i := 0; i < len(pic.Pix); i += 4 * 7 {
		p := [3]uint8{pic.Pix[i], pic.Pix[i+1], pic.Pix[i+2]}
		if int(p[0])+int(p[1])+int(p[2]) > 60 {
			lit++
		}
		if !seen[p] {
			seen[p] = true
			colours++
		}
	}
	if frac := float64(lit) / float64(len(pic.Pix)/(4*7)); frac < 0.3 || colours < 8 {
		t.Errorf("picture %v: %.0f%% lit pixels, %d colours; want a test pattern", pic.Rect, frac*100, colours)
	}

	// The controls follow: title, a running clock, a stats line naming
	// where the bytes came from, the local half of the file on the bar.
	if got := h.uiText(func(w *widgets) string { return w.title.Text }); got != "Test pattern" {
		t.Errorf("title label %q", got)
	}
	h.waitFor("the clock to move", false, func(Status) bool {
		return strings.HasPrefix(h.uiText(func(w *widgets) string { return w.timeText.Text }), "0:0") &&
			!strings.HasPrefix(h.uiText(func(w *widgets) string { return w.timeText.Text }), "0:00 /")
	})
	if got := h.uiText(func(w *widgets) string { return w.timeText.Text }); !strings.HasSuffix(got, "/ 0:20") {
		t.Errorf("time label %q, want …/ 0:20", got)
	}
	h.waitFor("stats line", false, func(s Status) bool { return strings.HasPrefix(s.Stats, "From gateways · 2 peers · ") })
	h.waitFor("local ranges on the seek bar", false, func(Status) bool {
		var local []span
		h.ui(func() { local = h.v.seek.local })
		return len(local) == 1 && local[0].from == 0 && math.Abs(local[0].to-0.5) < 0.01
	})
	// Nothing left over from the empty state.
	if got := h.uiText(func(w *widgets) string { return w.headline.Text }); got != "" {
		t.Errorf("headline %q while playing", got)
	}
}

func TestKeys(t *testing.T) {
	h, _, _ := playClip(t, "Keys", WithVolume(50))

	// Space pauses and resumes.
	if !h.key(fyne.KeySpace) {
		t.Fatal("space not used")
	}
	paused := h.waitFor("paused", false, func(s Status) bool { return s.State == playback.Paused })
	h.key(fyne.KeySpace)
	h.waitFor("playing again", false, func(s Status) bool { return s.State == playback.Playing })

	// Pause (the shell's, when the viewer leaves the player) pauses a
	// playing video and leaves a paused one paused.
	h.ui(h.v.Pause)
	h.waitFor("paused by Pause", false, func(s Status) bool { return s.State == playback.Paused })
	h.ui(h.v.Pause)
	h.key(fyne.KeySpace)
	h.waitFor("playing after Pause", false, func(s Status) bool { return s.State == playback.Playing })

	// Pause again so positions stand still, then → and ←.
	h.key(fyne.KeySpace)
	paused = h.waitFor("paused", false, func(s Status) bool { return s.State == playback.Paused })
	before := paused.Player.Position
	seeks := paused.Player.SeekSeq
	h.key(fyne.KeyRight)
	st := h.waitFor("seek forward", false, func(s Status) bool { return s.Player.SeekSeq > seeks })
	if d := st.Player.Position - before; math.Abs(d-5) > 0.5 {
		t.Errorf("→ moved %.2f s (from %.2f), want 5", d, before)
	}
	seeks = st.Player.SeekSeq
	before = st.Player.Position
	h.key(fyne.KeyLeft)
	st = h.waitFor("seek back", false, func(s Status) bool { return s.Player.SeekSeq > seeks })
	if d := before - st.Player.Position; math.Abs(d-5) > 0.5 {
		t.Errorf("← moved back %.2f s, want 5", d)
	}

	// ↑/↓ change the volume by 5 %; m mutes (volume 0 at the player) and
	// unmutes to the viewer's volume.
	h.key(fyne.KeyUp)
	h.waitFor("volume 55", false, func(s Status) bool { return s.Volume == 55 && s.Player.Volume == 55 })
	h.key(fyne.KeyDown)
	h.key(fyne.KeyDown)
	h.waitFor("volume 45", false, func(s Status) bool { return s.Volume == 45 && s.Player.Volume == 45 })
	h.key(fyne.KeyM)
	h.waitFor("muted", false, func(s Status) bool { return s.Muted && s.Player.Volume == 0 && s.Volume == 45 })
	var slider float64
	h.ui(func() { slider = h.v.volumeSlider.Value })
	if slider != 0 {
		t.Errorf("volume slider at %v while muted, want 0", slider)
	}
	h.key(fyne.KeyM)
	h.waitFor("unmuted", false, func(s Status) bool { return !s.Muted && s.Player.Volume == 45 })

	// f toggles fullscreen, Esc leaves it and is then not the view's.
	h.key(fyne.KeyF)
	if !h.w.FullScreen() {
		t.Error("f: window not fullscreen")
	}
	if !h.key(fyne.KeyEscape) || h.w.FullScreen() {
		t.Error("Esc did not leave fullscreen")
	}
	if h.key(fyne.KeyEscape) {
		t.Error("Esc outside fullscreen was taken by the view")
	}
	if h.key(fyne.KeyQ) {
		t.Error("q taken by the view")
	}
}

func TestSeekBar(t *testing.T) {
	h, _, st := playClip(t, "Seek")

	// A tap at three quarters of the bar's track seeks to 15 s.
	var pos fyne.Position
	h.ui(func() {
		b := h.v.seek
		inset := b.trackInset()
		pos = fyne.NewPos(inset+0.75*(b.Size().Width-2*inset), b.Size().Height/2)
		test.TapAt(b, pos)
	})
	seeks := st.Player.SeekSeq
	st = h.waitFor("seek from the bar", false, func(s Status) bool { return s.Player.SeekSeq > seeks })
	if math.Abs(st.Player.Position-15) > 1 {
		t.Errorf("tap at 3/4: position %.2f s, want 15", st.Player.Position)
	}

	// Dragging the thumb back to a quarter seeks once, at the release; the
	// thumb follows the pointer meanwhile. The events are built as the
	// desktop driver sends them (Position is where the pointer is now):
	// test.Drag reports the start position instead.
	seeks = st.Player.SeekSeq
	var during float64
	h.ui(func() {
		b := h.v.seek
		inset := b.trackInset()
		quarter := inset + 0.25*(b.Size().Width-2*inset)
		x := pos.X
		for _, to := range []float32{(pos.X + quarter) / 2, quarter} {
			b.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(to, pos.Y)}, Dragged: fyne.NewDelta(to-x, 0)})
			x = to
		}
		during = b.fraction()
	})
	if math.Abs(during-0.25) > 0.01 {
		t.Errorf("thumb at %.3f while dragging to 1/4", during)
	}
	if got := h.v.Status().Player.SeekSeq; got != seeks {
		t.Errorf("seeked while dragging (SeekSeq %d → %d)", seeks, got)
	}
	h.ui(func() { h.v.seek.DragEnd() })
	st = h.waitFor("seek from a drag", false, func(s Status) bool { return s.Player.SeekSeq > seeks })
	if math.Abs(st.Player.Position-5) > 1 {
		t.Errorf("drag to 1/4: position %.2f s, want 5", st.Player.Position)
	}
}

func TestResumeAndRecord(t *testing.T) {
	ctx := context.Background()
	cat, err := library.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cat.Close() })
	src := newHTTPSource(t)
	path := video(t, clip)
	target := src.add(t, path, "Resume me")
	// A previous viewing stopped at 12 s.
	if _, err := cat.Upsert(ctx, target.Cid, func(v *library.Video) error { v.Title = "Resume me"; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := cat.RecordWatch(ctx, target.Cid, 12*time.Second, time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}

	h := newHarness(t, src, WithCatalog(cat), WithRecordEvery(time.Second))
	h.v.Open(ctx, target)
	st := h.waitPlaying()
	h.v.mu.Lock()
	first := h.v.sess.firstFrameAt
	h.v.mu.Unlock()
	if first < 11.9 || first > 13.5 {
		t.Errorf("first frame shown at %.2f s, want the remembered 12 s (earlier frames hidden)", first)
	}
	if st.Player.Position < 11.9 {
		t.Errorf("playing at %.2f s, want from 12 s", st.Player.Position)
	}

	// Progress is saved while playing…
	deadline := time.Now().Add(waitLimit)
	for {
		v, err := cat.Get(ctx, target.Cid)
		if err != nil {
			t.Fatal(err)
		}
		if v.LastPosition >= 13*time.Second {
			if v.Size != int64(fileSize(t, path)) || v.Duration < 19*time.Second || v.Width != 640 {
				t.Errorf("catalog entry %+v: want size, duration and width filled in", v)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("position not saved while playing; catalog has %v", v.LastPosition)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// …and on Stop, exactly where it stopped.
	h.key(fyne.KeySpace)
	paused := h.waitFor("paused", false, func(s Status) bool { return s.State == playback.Paused })
	h.v.Stop()
	h.waitFor("empty view", true, func(s Status) bool { return s.State == playback.Idle && s.Message == emptyHeadline })
	deadline = time.Now().Add(waitLimit)
	for {
		v, err := cat.Get(ctx, target.Cid)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(v.LastPosition.Seconds()-paused.Player.Position) < 0.3 {
			if v.WatchCount != 2 {
				t.Errorf("watch count %d, want 2 (the old viewing and this one)", v.WatchCount)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("position after Stop %v, want %.2f s", v.LastPosition, paused.Player.Position)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := h.uiText(func(w *widgets) string { return w.headline.Text }); got != emptyHeadline {
		t.Errorf("headline after Stop %q, want %q", got, emptyHeadline)
	}
}

func fileSize(t *testing.T, path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// TestErrorsShowInView opens what cannot be played; each ends in a message
// the viewer can act on, and the view stays usable.
func TestErrorsShowInView(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(text, []byte(strings.Repeat("these are not the frames you are looking for\n", 2000)), 0o644); err != nil {
		t.Fatal(err)
	}
	src := newHTTPSource(t)
	notVideo := src.add(t, text, "notes.txt")
	audio := src.add(t, video(t, testvideo.Spec{AudioOnly: true, Duration: 3 * time.Second}), "song")
	missing := link.Target{Cid: notVideo.Cid, Path: "nope"}
	h := newHarness(t, src, WithResolveTimeout(500*time.Millisecond))

	for _, tc := range []struct {
		name     string
		target   link.Target
		setup    func()
		want     error
		headline string
	}{
		{"not a video", notVideo, nil, playback.ErrNotVideo, "This is not a video"},
		{"audio only", audio, nil, playback.ErrNoVideoStream, "This file has no picture"},
		{"resolve fails", missing, func() { src.mu.Lock(); src.resolveErr = errors.New("no link named nope"); src.mu.Unlock() }, nil, "The video could not be opened"},
		{"nobody has it", notVideo, func() { src.mu.Lock(); src.resolveErr, src.hang = nil, true; src.mu.Unlock() }, errResolveTimeout, "Nobody is sharing this video right now"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.setup != nil {
				tc.setup()
			}
			h.v.Open(context.Background(), tc.target)
			st := h.waitFor("an error", true, func(s Status) bool { return s.Err != nil && s.Target == tc.target })
			if st.State != playback.Error {
				t.Errorf("state %v, want error", st.State)
			}
			if tc.want != nil && !errors.Is(st.Err, tc.want) {
				t.Errorf("error %v, want %v", st.Err, tc.want)
			}
			h.waitFor("the message on screen", true, func(Status) bool {
				return h.uiText(func(w *widgets) string { return w.headline.Text }) == tc.headline
			})
			hint := h.uiText(func(w *widgets) string { return w.hint.Text })
			var playOff, visible bool
			h.ui(func() { playOff, visible = h.v.playBtn.Disabled(), h.v.panel.Visible() && h.v.iconBox.Visible() })
			if hint == "" || !playOff || !visible {
				t.Errorf("hint %q, play disabled %v, card with icon visible %v", hint, playOff, visible)
			}
		})
	}
	if t.Failed() {
		return
	}
	// After all that, a good video still plays in the same view.
	src.mu.Lock()
	src.hang = false
	src.mu.Unlock()
	good := src.add(t, video(t, clip), "fine")
	h.v.Open(context.Background(), good)
	h.waitPlaying()
}

func TestTrackMenu(t *testing.T) {
	src := newHTTPSource(t)
	target := src.add(t, video(t, testvideo.Spec{Duration: 4 * time.Second, FastStart: true, AudioTracks: 2, Subtitles: true}), "Tracks")
	h := newHarness(t, src)
	h.v.Open(context.Background(), target)
	h.waitFor("tracks", false, func(s Status) bool { return len(s.Player.Tracks) >= 4 && s.State == playback.Playing })
	var enabled bool
	var menu *fyne.Menu
	h.waitFor("the tracks button", false, func(Status) bool {
		h.ui(func() { enabled = !h.v.tracksBtn.Disabled() })
		return enabled
	})
	h.ui(func() { menu = h.v.trackMenu() })
	var labels []string
	var fra, subs *fyne.MenuItem
	section := ""
	for _, it := range menu.Items {
		labels = append(labels, it.Label)
		switch {
		case it.Disabled:
			section = it.Label
		case section == "Audio" && strings.HasPrefix(it.Label, "FRA"):
			fra = it
		case section == "Subtitles" && strings.HasPrefix(it.Label, "ENG"):
			subs = it
		}
	}
	if fra == nil || subs == nil {
		t.Fatalf("menu %q: want a FRA audio and an ENG subtitle item", labels)
	}
	if fra.Checked {
		t.Error("second audio track ticked before it was chosen")
	}
	h.ui(func() { fra.Action(); subs.Action() })
	h.waitFor("french audio and subtitles", false, func(s Status) bool {
		a, okA := s.Player.Track(playback.AudioTrack, 2)
		sub, okS := s.Player.Track(playback.SubtitleTrack, 1)
		return okA && a.Selected && okS && sub.Selected
	})
	h.ui(func() { menu = h.v.trackMenu() })
	for _, it := range menu.Items {
		if strings.HasPrefix(it.Label, "FRA") && !it.Checked {
			t.Error("chosen audio track not ticked in the menu")
		}
	}
}

// TestClose: Close ends the player, the poller and the session goroutines,
// saves nothing twice, and is idempotent.
func TestClose(t *testing.T) {
	src := newHTTPSource(t)
	target := src.add(t, video(t, clip), "Close")
	baseline := runtime.NumGoroutine()
	h := newHarness(t, src)
	h.v.Open(context.Background(), target)
	h.waitPlaying()
	h.v.mu.Lock()
	p := h.v.sess.player
	h.v.mu.Unlock()

	done := make(chan struct{})
	go func() { h.v.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(waitLimit):
		t.Fatal("Close did not return")
	}
	h.v.Close()
	if err := p.Pause(); !errors.Is(err, playback.ErrClosed) {
		t.Errorf("player after Close: Pause = %v, want ErrClosed", err)
	}
	h.v.Open(context.Background(), target)
	if st := h.v.Status(); st.State != playback.Idle {
		t.Errorf("Open after Close: state %v, want idle", st.State)
	}
	// The HTTP client's idle connections and the test app's own goroutines
	// may linger briefly; the view's must be gone.
	deadline := time.Now().Add(waitLimit)
	for runtime.NumGoroutine() > baseline+2 {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines after Close, %d before New:\n%s", runtime.NumGoroutine(), baseline, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func br(start, end int64) node.ByteRange { return node.ByteRange{Start: start, End: end} }

func TestToSpans(t *testing.T) {
	got := toSpans([]node.ByteRange{br(600, 1000), br(0, 100), br(100, 200), br(300, 300), br(1000, 1200)}, 1000)
	want := []span{{0, 0.2}, {0.6, 1}}
	if !sameSpans(got, want) {
		t.Errorf("toSpans = %v, want %v", got, want)
	}
	if toSpans([]node.ByteRange{br(0, 10)}, 0) != nil {
		t.Error("spans for an unknown size")
	}
}

func TestStatsLine(t *testing.T) {
	var l statsLine
	t0 := time.Now()
	l.update(Stats{Peers: 1}, t0)
	if l.text != "1 peer · 0 B/s" {
		t.Errorf("first reading %q", l.text)
	}
	l.update(Stats{BytesFromPeers: 4 << 20, BytesLocal: 1 << 20, Peers: 3}, t0.Add(2*time.Second))
	if l.text != "From peers · 3 peers · 2.0 MiB/s" {
		t.Errorf("peers %q", l.text)
	}
	l.update(Stats{BytesFromPeers: 4 << 20, BytesLocal: 9 << 20, Peers: 3}, t0.Add(3*time.Second))
	if l.text != "From this computer · 3 peers · 0 B/s" {
		t.Errorf("local %q", l.text)
	}
	l.update(Stats{BytesFromPeers: 4 << 20, BytesLocal: 9 << 20, BytesFromGateways: 1 << 20, Peers: 0}, t0.Add(4*time.Second))
	if l.text != "From gateways · 0 peers · 1.0 MiB/s" {
		t.Errorf("gateways %q", l.text)
	}
	// Idle: the last source stays, the speed drops.
	l.update(Stats{BytesFromPeers: 4 << 20, BytesLocal: 9 << 20, BytesFromGateways: 1 << 20}, t0.Add(5*time.Second))
	if l.text != "From gateways · 0 peers · 0 B/s" {
		t.Errorf("idle %q", l.text)
	}
}
