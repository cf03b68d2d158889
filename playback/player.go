package playback

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"time"

	mpv "github.com/gen2brain/go-mpv"
)

// Defaults for the options.
const (
	// DefaultCacheAhead and DefaultCacheBack bound the demuxer cache, and
	// with it the player's memory, whatever the size of the file.
	DefaultCacheAhead = 64 << 20
	DefaultCacheBack  = 16 << 20
	// DefaultNetworkTimeout is how long the player waits for bytes before
	// giving up with ErrTimeout.
	DefaultNetworkTimeout = 30 * time.Second
)

type config struct {
	audio          bool
	cacheAhead     int64
	cacheBack      int64
	networkTimeout time.Duration
	onStatus       func(Status)
	onFrame        func(Frame)
	log            *slog.Logger
}

// Option configures a Player.
type Option func(*config)

// WithAudio turns sound output on (the default) or off. Off uses mpv's null
// audio output, which still paces playback: tests and headless runs use it.
func WithAudio(on bool) Option { return func(c *config) { c.audio = on } }

// WithCache bounds the demuxer cache: ahead bytes past the playhead and back
// bytes kept behind it for seeking back.
func WithCache(ahead, back int64) Option {
	return func(c *config) { c.cacheAhead, c.cacheBack = ahead, back }
}

// WithNetworkTimeout sets how long loading or buffering may go without
// receiving a byte before the player enters the Error state with ErrTimeout.
func WithNetworkTimeout(d time.Duration) Option {
	return func(c *config) { c.networkTimeout = d }
}

// WithStatusFunc sets the function that receives the Status after every
// change. It runs on a goroutine of its own: a slow consumer delays only
// itself, and it sees the newest status when it is ready again (intermediate
// ones are skipped). It may call the Player's methods.
func WithStatusFunc(fn func(Status)) Option { return func(c *config) { c.onStatus = fn } }

// WithFrameFunc sets the function that receives rendered video frames. It
// runs on a goroutine of its own; see Frame for who owns the image. Without
// it the player decodes but renders nothing (mpv's null video output).
func WithFrameFunc(fn func(Frame)) Option { return func(c *config) { c.onFrame = fn } }

// WithLogger sets the logger for mpv's warnings and the player's decisions;
// slog.Default() otherwise.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// Frame is one rendered video frame.
type Frame struct {
	// Image is RGBA with opaque alpha, at the surface size (the video
	// letterboxed into it). The player reuses the buffer once the frame
	// function returns: copy the pixels to keep them.
	Image *image.RGBA
	// Position is the playhead when the frame was rendered, in seconds.
	Position float64
	// Seq numbers rendered frames from 1. A frame delivered again (see
	// SeekSeq) keeps its Seq.
	Seq uint64
	// SeekSeq is the number of seeks completed (mpv's playback restart after
	// a Seek) counted for this frame. The first frame with a SeekSeq above
	// Status().SeekSeq read before a Seek shows the seek's target (while
	// playing on a busy machine, possibly a frame or two past it), so a
	// seek's latency is the time from Seek to that frame. When a seek
	// completes and no newer frame is on its way, the newest frame is
	// delivered again (same Seq) with the new count, so this also works
	// while paused.
	SeekSeq uint64
}

// Player plays one URL at a time with its own mpv core. Its methods may be
// called from any goroutine.
type Player struct {
	cfg config
	log *slog.Logger

	// hmu guards the use of the mpv handle by the methods against Close:
	// methods hold it for reading and check closed.
	hmu    sync.RWMutex
	closed bool
	m      *mpv.Mpv
	rc     *mpv.RenderContext // nil without a frame function

	// mu guards st. It is never held while waiting for mpv's core, except
	// in Load (see there), so the renderer never waits for it.
	mu sync.Mutex
	st rawStatus

	fr frames // see render.go

	statusDirty chan struct{}
	quit        chan struct{}
	closeOnce   sync.Once
	// eventDone and renderDone close when the goroutines that call mpv have
	// returned; only then may Close free the handles.
	eventDone  chan struct{}
	renderDone chan struct{}
	// callbacks counts the goroutines that run the status and frame
	// functions; callbackIDs holds their goroutine ids, so Close called from
	// one of them does not wait for itself.
	callbacks   sync.WaitGroup
	callbackIDs sync.Map
}

// New starts an mpv core. The context only bounds setup; the player lives
// until Close.
func New(ctx context.Context, opts ...Option) (*Player, error) {
	cfg := config{
		audio:          true,
		cacheAhead:     DefaultCacheAhead,
		cacheBack:      DefaultCacheBack,
		networkTimeout: DefaultNetworkTimeout,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.log == nil {
		cfg.log = slog.Default()
	}
	if cfg.networkTimeout <= 0 || cfg.cacheAhead <= 0 || cfg.cacheBack < 0 {
		return nil, fmt.Errorf("playback.New: network timeout %v, cache %d/%d bytes: want positive values",
			cfg.networkTimeout, cfg.cacheAhead, cfg.cacheBack)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("playback.New: %w", err)
	}

	// libmpv refuses to start under a locale whose decimal separator is not
	// a dot; GUI toolkits may have changed it.
	mpv.SetLocale(mpv.LCNumeric, "C")
	m := mpv.New()
	vo := "null"
	if cfg.onFrame != nil {
		vo = "libmpv" // frames through the render API
	}
	options := [][2]string{
		{"vo", vo},
		// Nothing from the user's mpv setup may change what the app shows.
		{"config", "no"}, {"load-scripts", "no"}, {"ytdl", "no"}, {"osc", "no"},
		{"terminal", "no"}, {"input-default-bindings", "no"}, {"input-vo-keyboard", "no"},
		{"resume-playback", "no"}, {"save-position-on-quit", "no"},
		{"sub-auto", "no"}, {"audio-file-auto", "no"},
		// OSD text would be drawn into the frames.
		{"osd-level", "0"},
		// Stay alive with nothing loaded, and keep the last frame at the end
		// so the user can seek back.
		{"idle", "yes"}, {"keep-open", "yes"},
		{"hwdec", "no"}, {"audio-display", "no"},
		{"cache", "yes"},
		{"demuxer-max-bytes", strconv.FormatInt(cfg.cacheAhead, 10)},
		{"demuxer-max-back-bytes", strconv.FormatInt(cfg.cacheBack, 10)},
		{"network-timeout", strconv.FormatFloat(cfg.networkTimeout.Seconds(), 'f', -1, 64)},
		// A read that times out or a connection the server drops part way
		// would otherwise count as the end of the file: the video would just
		// stop. Reconnecting with a Range request resumes it, and if the
		// server stays silent the stall watchdog reports ErrTimeout. Only
		// for servers that take Range requests (gateways do): elsewhere a
		// reconnect would start over from byte 0 mid-stream.
		{"stream-lavf-o", "reconnect=1,reconnect_delay_max=" +
			strconv.Itoa(max(1, int(cfg.networkTimeout.Seconds())))},
		{"hr-seek", "yes"},
		// Every software frame is converted to RGB (and scaled to the
		// surface) by zimg: bilinear scaling and no dithering make that
		// cheaper than its high-quality defaults, and frames still match
		// ffmpeg's own decode at ≥ 30 dB PSNR (TestPlayFromPeer). (libswscale's fast
		// paths were cheaper still but fell below 30 dB.)
		{"zimg-dither", "no"}, {"zimg-scaler", "bilinear"},
	}
	options = append(options, onlyWhatIsAsked...)
	if !cfg.audio {
		// Otherwise mpv's default list of outputs.
		options = append(options, [2]string{"ao", "null"})
	}
	if err := initCore(m, options); err != nil {
		return nil, fmt.Errorf("playback.New: %w", err)
	}
	for id, name := range observed {
		if err := m.ObserveProperty(uint64(id), name, mpv.FormatNode); err != nil {
			m.TerminateDestroy()
			return nil, fmt.Errorf("playback.New: observe %s: %w", name, err)
		}
	}

	p := &Player{
		cfg:         cfg,
		log:         cfg.log.With("component", "playback"),
		m:           m,
		statusDirty: make(chan struct{}, 1),
		quit:        make(chan struct{}),
		eventDone:   make(chan struct{}),
		renderDone:  make(chan struct{}),
	}
	p.st.volume = 100
	p.fr.init()

	if cfg.onFrame != nil {
		rc, err := m.NewRenderContextSW()
		if err != nil {
			m.TerminateDestroy()
			return nil, fmt.Errorf("playback.New: render context: %w", err)
		}
		p.rc = rc
		// mpv calls this on its own threads, where nothing but signalling is
		// allowed.
		rc.SetUpdateCallback(p.fr.wakeRenderer)
		go p.renderLoop()
		p.startCallbackGoroutine(p.deliverFrames)
	} else {
		close(p.renderDone)
	}
	go p.eventLoop()
	if cfg.onStatus != nil {
		p.startCallbackGoroutine(p.deliverStatus)
	}
	return p, nil
}

// Close stops playback and frees the mpv core. It is safe to call more than
// once and from any goroutine, including from the status and frame functions.
func (p *Player) Close() error {
	p.closeOnce.Do(func() {
		p.hmu.Lock()
		p.closed = true
		p.hmu.Unlock()

		close(p.quit)
		p.m.Wakeup()
		<-p.eventDone
		<-p.renderDone
		// mpv requires the render context to go before the core.
		if p.rc != nil {
			p.rc.Free()
		}
		p.m.TerminateDestroy()
		p.log.Debug("player closed")
	})
	// Wait for the user functions to return, unless one of them called Close.
	if _, self := p.callbackIDs.Load(goroutineID()); !self {
		p.callbacks.Wait()
	}
	return nil
}

// use runs f with the mpv handle unless the player is closed.
func (p *Player) use(op string, f func(m *mpv.Mpv) error) error {
	p.hmu.RLock()
	defer p.hmu.RUnlock()
	if p.closed {
		return fmt.Errorf("playback.%s: %w", op, ErrClosed)
	}
	if err := f(p.m); err != nil {
		return fmt.Errorf("playback.%s: %w", op, err)
	}
	return nil
}

// Load starts playing url (any URL or path mpv reads; IPFS-Tube passes the
// node's loopback gateway) from the start, replacing what was loaded. It
// returns once mpv has queued it; progress and failure arrive as Status.
func (p *Player) Load(ctx context.Context, url string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("playback.Load: %w", err)
	}
	if url == "" {
		return errors.New("playback.Load: empty URL")
	}
	return p.use("Load", func(m *mpv.Mpv) error {
		// Holding mu across loadfile makes the event loop wait until the new
		// playlist entry is known, so it never takes events of the file
		// being replaced for the new one.
		p.mu.Lock()
		defer p.mu.Unlock()
		if err := m.SetPropertyString("pause", "no"); err != nil {
			return err
		}
		res, err := m.CommandRet([]string{"loadfile", url, "replace"})
		if err != nil {
			return err
		}
		entry, _ := asInt64(nodeField(res, "playlist_entry_id"))
		p.st.resetFile(url, entry, time.Now())
		p.log.Info("load", "url", url, "entry", entry)
		p.notifyStatus()
		return nil
	})
}

// Play resumes playback; after the end it starts over.
func (p *Player) Play() error {
	return p.use("Play", func(m *mpv.Mpv) error {
		p.mu.Lock()
		ended := p.st.eof
		p.mu.Unlock()
		if ended {
			if err := p.seekLocked(m, 0); err != nil {
				return err
			}
		}
		return m.SetPropertyString("pause", "no")
	})
}

// Pause pauses playback; the current frame stays up.
func (p *Player) Pause() error {
	return p.use("Pause", func(m *mpv.Mpv) error { return m.SetPropertyString("pause", "yes") })
}

// Seek moves the playhead to seconds from the start, exactly (decoding from
// the keyframe before it), not just to a nearby keyframe. It returns once
// mpv has queued the seek; the frame it lands on carries a higher
// Frame.SeekSeq, and Status.SeekSeq counts it once done.
func (p *Player) Seek(seconds float64) error {
	if math.IsNaN(seconds) || math.IsInf(seconds, 0) || seconds < 0 {
		return fmt.Errorf("playback.Seek: position %v", seconds)
	}
	return p.use("Seek", func(m *mpv.Mpv) error { return p.seekLocked(m, seconds) })
}

func (p *Player) seekLocked(m *mpv.Mpv, seconds float64) error {
	// Counted before the command: mpv may finish the seek and report it
	// before the command call returns here.
	p.mu.Lock()
	p.st.seeksIssued++
	p.mu.Unlock()
	err := m.Command([]string{"seek", strconv.FormatFloat(seconds, 'f', -1, 64), "absolute+exact"})
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		if p.st.seeksIssued > p.st.seeksDone {
			p.st.seeksIssued--
		}
		return fmt.Errorf("to %.3f s (nothing playing?): %w", seconds, err)
	}
	// Until mpv reports a position again, the target is the best answer.
	p.st.position = seconds
	p.st.eof = false
	p.notifyStatus()
	return nil
}

// SetVolume sets the volume in percent, 0 to 100.
func (p *Player) SetVolume(percent float64) error {
	if math.IsNaN(percent) || percent < 0 || percent > 100 {
		return fmt.Errorf("playback.SetVolume: %v%%: want 0 to 100", percent)
	}
	return p.use("SetVolume", func(m *mpv.Mpv) error { return m.SetProperty("volume", mpv.FormatDouble, percent) })
}

// SelectAudio switches to the audio track with the given id (see
// Status.Tracks); 0 turns sound off.
func (p *Player) SelectAudio(id int) error {
	return p.selectTrack("SelectAudio", "aid", AudioTrack, id)
}

// SelectSubtitle shows the subtitle track with the given id (see
// Status.Tracks), drawn into the frames; 0 hides subtitles.
func (p *Player) SelectSubtitle(id int) error {
	return p.selectTrack("SelectSubtitle", "sid", SubtitleTrack, id)
}

func (p *Player) selectTrack(op, property string, typ TrackType, id int) error {
	value := "no"
	if id != 0 {
		if _, ok := p.Status().Track(typ, id); !ok {
			return fmt.Errorf("playback.%s: no %s track %d", op, typ, id)
		}
		value = strconv.Itoa(id)
	}
	return p.use(op, func(m *mpv.Mpv) error { return m.SetPropertyString(property, value) })
}

// SetSurfaceSize sets the size frames are rendered at; the video is scaled
// to fit and letterboxed. 0×0 (the default) renders at the video's own size.
// A paused frame is rendered again at the new size.
func (p *Player) SetSurfaceSize(width, height int) error {
	if width < 0 || height < 0 || (width == 0) != (height == 0) || width > 1<<14 || height > 1<<14 {
		return fmt.Errorf("playback.SetSurfaceSize: %dx%d", width, height)
	}
	p.hmu.RLock()
	defer p.hmu.RUnlock()
	if p.closed {
		return fmt.Errorf("playback.SetSurfaceSize: %w", ErrClosed)
	}
	p.fr.setSurface(width, height)
	return nil
}

// Status returns the current status.
func (p *Player) Status() Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.st.public()
}

// notifyStatus wakes the status goroutine; it coalesces with pending
// notifications. Callers hold mu or not, either works.
func (p *Player) notifyStatus() {
	select {
	case p.statusDirty <- struct{}{}:
	default:
	}
}

func (p *Player) deliverStatus() {
	var last Status
	first := true
	for {
		select {
		case <-p.quit:
			return
		case <-p.statusDirty:
		}
		st := p.Status()
		if !first && sameStatus(st, last) {
			continue
		}
		first, last = false, st
		p.cfg.onStatus(st)
	}
}

// startCallbackGoroutine runs fn on a goroutine Close waits for.
func (p *Player) startCallbackGoroutine(fn func()) {
	p.callbacks.Add(1)
	registered := make(chan struct{})
	go func() {
		defer p.callbacks.Done()
		id := goroutineID()
		p.callbackIDs.Store(id, true)
		defer p.callbackIDs.Delete(id)
		close(registered)
		fn()
	}()
	<-registered
}

// onlyWhatIsAsked makes mpv load the one file or URL it is given and
// nothing that file names: no playlist entries, EDL segments, CUE files,
// HLS or DASH segments, Matroska linked segments, mov references, external
// subtitles, audio or cover art, SDP streams. See "Only the file asked for"
// in the package doc.
var onlyWhatIsAsked = [][2]string{
	// mpv's playlist, EDL and CUE demuxers refuse to open, and libavformat
	// demuxers get an opener that refuses every nested file (HLS, DASH,
	// ffconcat, mov references, IMF).
	{"access-references", "no"},
	// The few libavformat demuxers that open protocols themselves (SDP's
	// RTP and UDP sockets) find no protocol allowed: no protocol is named
	// "none". mpv reads the file itself through its own stream, which this
	// list does not govern.
	{"demuxer-lavf-o", "protocol_whitelist=none"},
	// Covered by the above, or meaningful only for local files (mpv looks
	// for these beside a local file); set so that no one option changing
	// its meaning in a later mpv reopens the hole.
	{"ordered-chapters", "no"}, {"load-unsafe-playlists", "no"},
	{"sub-auto", "no"}, {"audio-file-auto", "no"}, {"cover-art-auto", "no"},
	{"autoload-files", "no"},
	// Scripts and youtube-dl may open anything.
	{"load-scripts", "no"}, {"ytdl", "no"}, {"load-auto-profiles", "no"},
	{"load-stats-overlay", "no"}, {"load-osd-console", "no"},
}

// initCore sets options on a new core, initializes it and asks for its
// warnings; on failure it destroys the core.
func initCore(m *mpv.Mpv, options [][2]string) error {
	err := func() error {
		for _, o := range options {
			if err := m.SetOptionString(o[0], o[1]); err != nil {
				return fmt.Errorf("option %s=%s: %w", o[0], o[1], err)
			}
		}
		if err := m.Initialize(); err != nil {
			return err
		}
		if err := m.RequestLogMessages("warn"); err != nil {
			return fmt.Errorf("log messages: %w", err)
		}
		return nil
	}()
	if err != nil {
		m.TerminateDestroy()
	}
	return err
}
