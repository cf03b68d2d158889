package main

import (
	"context"
	"errors"
	"image"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/ipfs-tube/ipfs-tube/internal/testvideo"
	"github.com/ipfs-tube/ipfs-tube/node"
	"github.com/ipfs-tube/ipfs-tube/playback"
)

// startNodePair starts two isolated nodes on loopback, the second connected
// to the first.
func startNodePair(t testing.TB) (seeder, viewer *node.Node) {
	t.Helper()
	ctx := context.Background()
	start := func() *node.Node {
		n, err := node.New(ctx, node.Config{Repo: filepath.Join(t.TempDir(), "repo"), Isolated: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { n.Close() })
		if err := n.Start(ctx); err != nil {
			t.Fatal(err)
		}
		return n
	}
	seeder, viewer = start(), start()
	if err := viewer.Connect(ctx, peer.AddrInfo{ID: seeder.ID(), Addrs: seeder.Addrs()}); err != nil {
		t.Fatal(err)
	}
	return seeder, viewer
}

// importFile adds path to n and returns its CID.
func importFile(t testing.TB, n *node.Node, path string) cid.Cid {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := n.Import(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	return res.Cid
}

// watcher records what a player reports, for tests to wait on.
type watcher struct {
	mu      sync.Mutex
	changed chan struct{}
	st      playback.Status
	frame   *image.RGBA // copy of the newest frame
	seekSeq uint64      // of the newest frame
	frames  int
	picture bool // some frame so far had a picture
	// lastFrame is when the newest frame came; maxGap the longest wait
	// between two frames since both were last reset.
	lastFrame time.Time
	maxGap    time.Duration
}

func newWatcher() *watcher { return &watcher{changed: make(chan struct{}, 1)} }

func (w *watcher) onFrame(f playback.Frame) {
	w.mu.Lock()
	if w.frame == nil || w.frame.Rect != f.Image.Rect {
		w.frame = image.NewRGBA(f.Image.Rect)
	}
	copy(w.frame.Pix, f.Image.Pix)
	w.seekSeq = f.SeekSeq
	w.frames++
	now := time.Now()
	if !w.lastFrame.IsZero() {
		w.maxGap = max(w.maxGap, now.Sub(w.lastFrame))
	}
	w.lastFrame = now
	w.picture = w.picture || hasPicture(f.Image)
	w.mu.Unlock()
	w.poke()
}

func (w *watcher) onStatus(st playback.Status) {
	w.mu.Lock()
	w.st = st
	w.mu.Unlock()
	w.poke()
}

func (w *watcher) poke() {
	select {
	case w.changed <- struct{}{}:
	default:
	}
}

// wait blocks until cond (run under the lock) holds, failing the test after
// limit or if the player errs.
func (w *watcher) wait(t testing.TB, what string, limit time.Duration, cond func(w *watcher) bool) {
	t.Helper()
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	for {
		w.mu.Lock()
		ok, st := cond(w), w.st
		w.mu.Unlock()
		if ok {
			return
		}
		if st.State == playback.Error {
			t.Fatalf("waiting for %s: player error: %v", what, st.Err)
		}
		select {
		case <-w.changed:
		case <-deadline.C:
			t.Fatalf("no %s within %v (state %v, position %.2f, frames %d)", what, limit, st.State, st.Position, w.frames)
		}
	}
}

func (w *watcher) status() playback.Status {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.st
}

func newTestPlayer(t testing.TB, w *watcher, opts ...playback.Option) *playback.Player {
	t.Helper()
	p, err := playback.New(context.Background(), append([]playback.Option{
		playback.WithAudio(false),
		playback.WithStatusFunc(w.onStatus),
		playback.WithFrameFunc(w.onFrame),
	}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// checkPlaysFromPeer plays a video that only a peer has through the
// viewer's gateway, checking what a viewer sees: a picture, a moving
// playhead, an exact seek whose frame matches ffmpeg's, pause and resume,
// and the end.
func checkPlaysFromPeer(t *testing.T, spec testvideo.Spec) {
	path := testvideo.Make(t, spec)
	seeder, viewer := startNodePair(t)
	c := importFile(t, seeder, path)
	gw, err := viewer.StartGateway(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gw.Close() })

	w := newWatcher()
	p := newTestPlayer(t, w)
	if err := p.Load(context.Background(), gw.URL(c)); err != nil {
		t.Fatal(err)
	}
	const limit = 60 * time.Second
	w.wait(t, "frame with a picture", limit, func(w *watcher) bool { return w.picture })
	w.wait(t, "duration", limit, func(w *watcher) bool { return w.st.Duration > 0 })
	first := w.status().Position
	w.wait(t, "playhead moving", limit, func(w *watcher) bool { return w.st.Position > first+0.5 })

	dur := w.status().Duration
	if want := spec.Duration.Seconds(); dur < want-0.5 || dur > want+0.5 {
		t.Errorf("duration %.2f s, want %.2f", dur, want)
	}
	target := 0.8 * dur
	base := w.status().SeekSeq
	if err := p.Pause(); err != nil {
		t.Fatal(err)
	}
	if err := p.Seek(target); err != nil {
		t.Fatal(err)
	}
	w.wait(t, "frame after the seek", limit, func(w *watcher) bool { return w.seekSeq > base })
	w.mu.Lock()
	got := image.NewRGBA(w.frame.Rect)
	copy(got.Pix, w.frame.Pix)
	pos := w.st.Position
	w.mu.Unlock()
	if d := pos - target; d < -0.1 || d > 0.1 {
		t.Errorf("seek to %.3f s landed at %.3f s", target, pos)
	}
	want := testvideo.FrameAt(t, path, time.Duration(target*float64(time.Second)), got.Rect.Dx(), got.Rect.Dy())
	if db := testvideo.PSNR(got, want); db < 30 {
		t.Errorf("frame after seeking to %.2f s: PSNR %.1f dB against ffmpeg's, want ≥ 30", target, db)
	}

	// Paused: the playhead holds still over half a second of watching.
	w.wait(t, "paused state", limit, func(w *watcher) bool { return w.st.State == playback.Paused })
	held := w.status().Position
	hold := time.NewTimer(500 * time.Millisecond)
	<-hold.C
	if now := w.status().Position; now != held {
		t.Errorf("paused playhead moved from %.3f to %.3f", held, now)
	}
	if err := p.Play(); err != nil {
		t.Fatal(err)
	}
	w.wait(t, "playhead moving after resume", limit, func(w *watcher) bool { return w.st.Position > held+0.3 })
	// The last seconds play out to the end.
	if err := p.Seek(dur - 1.5); err != nil {
		t.Fatal(err)
	}
	w.wait(t, "the end", limit, func(w *watcher) bool { return w.st.State == playback.Ended })
	if st := gw.Stats(); st.BytesFromPeers == 0 {
		t.Errorf("gateway stats show no bytes from peers: %+v", st)
	}
}

func TestPlayFromPeer(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec testvideo.Spec
	}{
		{"mp4 index at end", testvideo.Spec{Container: "mp4", Duration: 8 * time.Second}},
		{"mp4 index at start", testvideo.Spec{Container: "mp4", Duration: 8 * time.Second, FastStart: true}},
		{"webm vp9", testvideo.Spec{Container: "webm", Duration: 8 * time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) { checkPlaysFromPeer(t, tc.spec) })
	}
}

// A two-minute 1080p video: heavy, so it runs without -race (make test's
// second pass runs the Large tests).
func TestPlayFromPeerLarge1080p(t *testing.T) {
	if raceEnabled {
		t.Skip("too slow under the race detector; make test runs it in its second pass, without -race")
	}
	checkPlaysFromPeer(t, testvideo.Spec{Container: "mp4", Width: 1920, Height: 1080, Duration: 2 * time.Minute})
}

// A video whose blocks stop coming (its only peer left after the first
// block) ends in a clear error state within the player's network timeout,
// not in a hang.
func TestPlayWhenBlocksNeverArrive(t *testing.T) {
	path := testvideo.Make(t, testvideo.Spec{Container: "mp4", Duration: 8 * time.Second})
	seeder, viewer := startNodePair(t)
	c := importFile(t, seeder, path)
	ctx := context.Background()
	if _, err := viewer.ResolveVideo(ctx, c); err != nil { // the root only
		t.Fatal(err)
	}
	if err := seeder.Close(); err != nil {
		t.Fatal(err)
	}
	gw, err := viewer.StartGateway(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gw.Close() })

	w := newWatcher()
	p := newTestPlayer(t, w, playback.WithNetworkTimeout(3*time.Second))
	start := time.Now()
	if err := p.Load(ctx, gw.URL(c)); err != nil {
		t.Fatal(err)
	}
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	for st := w.status(); st.State != playback.Error; st = w.status() {
		select {
		case <-w.changed:
		case <-deadline.C:
			t.Fatalf("still %v after 30 s with no blocks coming", st.State)
		}
	}
	if err := w.status().Err; !errors.Is(err, playback.ErrTimeout) {
		t.Errorf("error %v, want a network timeout", err)
	}
	t.Logf("gave up after %v: %v", time.Since(start), w.status().Err)
}
