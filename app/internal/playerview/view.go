package playerview

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"

	"github.com/ipfs-tube/ipfs-tube/app/internal/link"
	"github.com/ipfs-tube/ipfs-tube/playback"
)

// View is the player view. New, Content and TypedKey belong to the UI
// thread; Open, Stop, Status and Close may be called from any goroutine.
type View struct {
	cfg config
	src Source
	log *slog.Logger

	ctx    context.Context // ends at Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // the poller and every session goroutine

	// mu guards the playback state below and the sessions' guarded fields.
	mu       sync.Mutex
	sess     *session // nil when nothing is open
	closed   bool
	volume   float64 // the viewer's volume, kept while muted
	muted    bool
	surfaceW int // pixel size frames are rendered at
	surfaceH int
	stats    statsLine

	// uiMu makes widget updates from fyne.Do functions exclusive. On a
	// real window they all run on the UI thread anyway; Fyne's test driver
	// runs fyne.Do inline on the calling goroutine, where the player's
	// goroutines would otherwise race on the widgets.
	uiMu     sync.Mutex
	uiQueued atomic.Bool
	uiClosed atomic.Bool
	closeOne sync.Once

	*widgets
}

// New builds the view; call it on the UI thread. The view's goroutines
// (one poller; one per open video) live until Close or until ctx ends.
func New(ctx context.Context, src Source, opts ...Option) *View {
	cfg := config{
		audio:          true,
		volume:         DefaultVolume,
		log:            slog.Default(),
		resolveTimeout: DefaultResolveTimeout,
		recordEvery:    DefaultRecordEvery,
	}
	for _, o := range opts {
		o(&cfg)
	}
	v := &View{
		cfg:    cfg,
		src:    src,
		log:    cfg.log.With("component", "playerview"),
		volume: cfg.volume,
	}
	v.ctx, v.cancel = context.WithCancel(ctx)
	v.widgets = v.build()
	v.refreshUI()
	v.wg.Add(1)
	go v.poll()
	return v
}

// Content is the view's root object, built once.
func (v *View) Content() fyne.CanvasObject { return v.root }

// Open starts playing what t names, replacing what played. It returns at
// once: resolving, loading and any failure (not a video, no picture,
// nobody sharing it, a timeout) show in the view and in Status. ctx bounds
// only the resolving; the video plays until Stop, the next Open or Close.
func (v *View) Open(ctx context.Context, t link.Target) {
	s := &session{v: v, target: t, resolving: true, cmds: make(chan func(*playback.Player) error, 32)}
	v.mu.Lock()
	if v.closed {
		v.mu.Unlock()
		return
	}
	s.ctx, s.cancel = context.WithCancel(v.ctx)
	old := v.sess
	v.sess = s
	v.wg.Add(1)
	v.mu.Unlock()
	if old != nil {
		old.cancel()
	}
	go s.run(ctx)
	v.scheduleUI()
}

// Stop ends playback: the position is saved, the player closed (both in
// the background) and the view shows its empty state.
func (v *View) Stop() {
	v.mu.Lock()
	s := v.sess
	v.sess = nil
	v.mu.Unlock()
	if s != nil {
		s.cancel()
		v.scheduleUI()
	}
}

// Close stops playback, saves the position and waits for the view's
// goroutines and the player to end; close the catalog only after it. It
// is idempotent. On the UI thread it waits for mpv to shut down (tens of
// milliseconds).
func (v *View) Close() {
	v.closeOne.Do(func() {
		v.mu.Lock()
		v.closed = true
		v.sess = nil
		v.mu.Unlock()
		v.uiClosed.Store(true)
		v.cancel()
		v.wg.Wait()
	})
}

// Status is a snapshot of the view, for the shell and tests.
type Status struct {
	// State is the player's state, with Loading also while the link is
	// resolved and Error also when resolving failed. Idle when nothing is
	// open.
	State playback.State
	// Player is the player's newest status (zero before it started).
	Player playback.Status
	Target link.Target
	Stream Stream // zero until resolved
	Title  string
	// Resolving: waiting for Source.Resolve. Resuming: seeking to the
	// position the catalog remembered, before the first frame shows.
	Resolving, Resuming bool
	ResumeAt            time.Duration
	// Err is why the video cannot play; Message is what the view says
	// about it (or about an empty view).
	Err     error
	Message string
	// Volume is the viewer's volume in percent, kept while Muted.
	Volume float64
	Muted  bool
	// Frames counts pictures put on screen since New.
	Frames uint64
	// Stats is the stats line as shown ("" before the first reading).
	Stats string
}

// Status returns the view's current status.
func (v *View) Status() Status {
	v.mu.Lock()
	defer v.mu.Unlock()
	st := Status{Volume: v.volume, Muted: v.muted, Stats: v.stats.text, Frames: v.surface.shownFrames()}
	s := v.sess
	if s == nil {
		st.Message = emptyHeadline
		return st
	}
	st.Target, st.Stream, st.Title, st.Player = s.target, s.stream, s.title, s.st
	st.Resolving = s.resolving
	st.Resuming = s.resumeTo > 0
	st.ResumeAt = seconds(s.resumeTo)
	st.State = s.st.State
	st.Err = s.err
	if st.Err == nil && s.st.State == playback.Error {
		st.Err = s.st.Err
	}
	switch {
	case st.Err != nil:
		st.State = playback.Error
	case s.resolving || s.player == nil:
		st.State = playback.Loading
	}
	st.Message, _ = describe(st)
	return st
}

// effectiveVolume is what the player should play at; v.mu held.
func (v *View) effectiveVolume() float64 {
	if v.muted {
		return 0
	}
	return v.volume
}

// current returns the open session, nil when none.
func (v *View) current() *session {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.sess
}

// do runs fn on the UI thread, exclusive with every other widget update.
func (v *View) do(fn func()) {
	fyne.Do(func() {
		v.uiMu.Lock()
		defer v.uiMu.Unlock()
		if v.uiClosed.Load() {
			return
		}
		fn()
	})
}

// scheduleUI asks for one refresh of the widgets from the newest state;
// requests while one is pending fold into it (status arrives per frame).
func (v *View) scheduleUI() {
	if v.uiQueued.Swap(true) {
		return
	}
	v.do(func() {
		v.uiQueued.Store(false)
		v.refreshUI()
	})
}

// TypedKey handles the player's shortcuts; the shell routes the window's
// key events here while the view shows and falls back to its own handling
// when it returns false. UI thread only.
//
//	space  play/pause          ←/→  back/forward 5 s
//	↑/↓    volume ±5 %         m    mute
//	f      fullscreen          Esc  leave fullscreen
func (v *View) TypedKey(ev *fyne.KeyEvent) bool {
	switch ev.Name {
	case fyne.KeySpace:
		return v.togglePlay()
	case fyne.KeyLeft:
		return v.seekBy(-seekStep)
	case fyne.KeyRight:
		return v.seekBy(seekStep)
	case fyne.KeyUp:
		v.changeVolume(volumeStep)
		return true
	case fyne.KeyDown:
		v.changeVolume(-volumeStep)
		return true
	case fyne.KeyM:
		v.toggleMute()
		return true
	case fyne.KeyF:
		return v.toggleFullScreen()
	case fyne.KeyEscape:
		if w := v.cfg.window; w != nil && w.FullScreen() {
			w.SetFullScreen(false)
			v.refreshUI()
			return true
		}
	}
	return false
}

// togglePlay pauses or resumes; after the end it starts over.
func (v *View) togglePlay() bool {
	s := v.current()
	if s == nil {
		return false
	}
	s.send(func(p *playback.Player) error {
		switch p.Status().State {
		case playback.Paused, playback.Ended:
			return p.Play()
		case playback.Error, playback.Idle:
			return nil
		default:
			return p.Pause()
		}
	})
	return true
}

// seekBy moves the playhead by d from where the player is when the
// command runs, so quick presses add up.
func (v *View) seekBy(d time.Duration) bool {
	s := v.current()
	if s == nil {
		return false
	}
	s.send(func(p *playback.Player) error {
		st := p.Status()
		target := st.Position + d.Seconds()
		if st.Duration > 0 {
			target = min(target, st.Duration)
		}
		return p.Seek(max(0, target))
	})
	return true
}

// seekFraction moves the playhead to a share of the video (the seek bar).
func (v *View) seekFraction(f float64) {
	s := v.current()
	if s == nil {
		return
	}
	s.send(func(p *playback.Player) error {
		d := p.Status().Duration
		if d <= 0 {
			return errors.New("seek before the duration is known")
		}
		return p.Seek(clamp01(f) * d)
	})
}

// setVolume sets the viewer's volume; changing it unmutes, as players do.
func (v *View) setVolume(percent float64) {
	v.mu.Lock()
	v.volume = min(100, max(0, percent))
	v.muted = false
	v.applyVolumeLocked()
	v.mu.Unlock()
	v.refreshUI()
}

func (v *View) changeVolume(delta float64) {
	v.mu.Lock()
	vol := v.volume + delta
	v.mu.Unlock()
	v.setVolume(vol)
}

func (v *View) toggleMute() {
	v.mu.Lock()
	v.muted = !v.muted
	v.applyVolumeLocked()
	v.mu.Unlock()
	v.refreshUI()
}

// applyVolumeLocked sends the effective volume to the player; v.mu held.
// playback has no mute of its own, so muting plays at volume 0.
func (v *View) applyVolumeLocked() {
	if v.sess == nil {
		return
	}
	vol := v.effectiveVolume()
	v.sess.send(func(p *playback.Player) error { return p.SetVolume(vol) })
}

func (v *View) toggleFullScreen() bool {
	w := v.cfg.window
	if w == nil {
		return false
	}
	w.SetFullScreen(!w.FullScreen())
	v.refreshUI()
	return true
}

// surfaceResized passes the video area's pixel size to the player.
func (v *View) surfaceResized(w, h int) {
	v.mu.Lock()
	v.surfaceW, v.surfaceH = w, h
	var p *playback.Player
	if v.sess != nil {
		p = v.sess.player
	}
	v.mu.Unlock()
	if p != nil {
		// Cheap: it only records the size for the render goroutine.
		_ = p.SetSurfaceSize(w, h)
	}
}
