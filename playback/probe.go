package playback

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"log/slog"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	mpv "github.com/gen2brain/go-mpv"
)

// Defaults for Probe.
const (
	// DefaultPosterWidth bounds a poster's width; narrower videos keep
	// their own size.
	DefaultPosterWidth = 1280
	// DefaultProbeTimeout bounds a Probe whose context has no earlier
	// deadline.
	DefaultProbeTimeout = 30 * time.Second
)

// Info describes a video file, as Probe found it.
type Info struct {
	// Duration is 0 when the container does not say.
	Duration time.Duration
	// Width and Height are the display size: aspect ratio and rotation
	// applied.
	Width, Height int
	// Container is mpv's name for the file format, e.g.
	// "mov,mp4,m4a,3gp,3g2,mj2" or "mkv" (Matroska and WebM).
	Container string
	// VideoCodec and AudioCodec name the first stream of each kind
	// ("h264", "vp9", "aac", "opus"); AudioCodec is empty without audio.
	VideoCodec, AudioCodec string
	// AudioTracks and SubtitleTracks count the file's streams (external
	// files are not looked for).
	AudioTracks, SubtitleTracks int
	// Poster is a frame of the video, at most the poster width wide, with
	// the video's aspect ratio and opaque alpha.
	Poster *image.RGBA
	// PosterAt is the time of the poster frame in the video.
	PosterAt time.Duration
}

// MIME guesses the media type from the container and codecs, for
// metadata and HTTP headers; "" when the format is not a common one.
func (i Info) MIME() string {
	c := strings.ToLower(i.Container)
	switch {
	case strings.Contains(c, "mp4") || strings.Contains(c, "mov"):
		if strings.HasPrefix(c, "mov") && !strings.Contains(c, "mp4") {
			return "video/quicktime"
		}
		return "video/mp4"
	case strings.Contains(c, "webm"), c == "mkv" || strings.Contains(c, "matroska"):
		// mpv's own Matroska demuxer calls both "mkv"; WebM allows only
		// these codecs.
		webmVideo := i.VideoCodec == "vp8" || i.VideoCodec == "vp9" || i.VideoCodec == "av1"
		webmAudio := i.AudioCodec == "" || i.AudioCodec == "opus" || i.AudioCodec == "vorbis"
		if webmVideo && webmAudio {
			return "video/webm"
		}
		return "video/x-matroska"
	case strings.Contains(c, "ogg"):
		return "video/ogg"
	case strings.Contains(c, "mpegts"):
		return "video/mp2t"
	case strings.Contains(c, "avi"):
		return "video/x-msvideo"
	}
	return ""
}

type probeConfig struct {
	posterAt    time.Duration // 0: automatic
	posterWidth int
	timeout     time.Duration
	log         *slog.Logger
}

// ProbeOption configures Probe.
type ProbeOption func(*probeConfig)

// WithPosterAt takes the poster at that time instead of the automatic
// choice (10 % of the duration, at least 1 s). A near-black frame there is
// still skipped for a later one.
func WithPosterAt(d time.Duration) ProbeOption { return func(c *probeConfig) { c.posterAt = d } }

// WithPosterWidth bounds the poster's width in pixels (DefaultPosterWidth
// otherwise). Narrower videos keep their own size.
func WithPosterWidth(px int) ProbeOption { return func(c *probeConfig) { c.posterWidth = px } }

// WithProbeTimeout bounds the whole probe when the context has no earlier
// deadline (DefaultProbeTimeout otherwise).
func WithProbeTimeout(d time.Duration) ProbeOption { return func(c *probeConfig) { c.timeout = d } }

// WithProbeLogger sets the logger for mpv's warnings; slog.Default()
// otherwise.
func WithProbeLogger(l *slog.Logger) ProbeOption { return func(c *probeConfig) { c.log = l } }

// posterTries is how many positions Probe looks at before it settles for
// a dark poster.
const posterTries = 4

// Probe opens url (a local path or any URL mpv reads) with an mpv core of
// its own, reads what the file is and renders a poster frame. The poster is
// taken at 10 % of the duration (1 s into short videos, the middle of
// videos under 2 s); a near-black frame there (a fade-in, a title card) is
// passed over for up to three later positions.
//
// A file that is not a media file (text, random bytes, 0 bytes, a still
// image, an mp4 cut before its index) gives ErrNotVideo; a media file
// without video gives ErrNoVideoStream; a source that does not answer
// before the context's deadline (or the probe timeout) gives ErrTimeout.
// The core is destroyed before Probe returns.
func Probe(ctx context.Context, url string, opts ...ProbeOption) (Info, error) {
	cfg := probeConfig{posterWidth: DefaultPosterWidth, timeout: DefaultProbeTimeout}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.log == nil {
		cfg.log = slog.Default()
	}
	switch {
	case url == "":
		return Info{}, errors.New("playback.Probe: empty URL")
	case cfg.posterWidth < 16 || cfg.posterWidth > 1<<14:
		return Info{}, fmt.Errorf("playback.Probe: poster width %d: want 16 to %d", cfg.posterWidth, 1<<14)
	case cfg.timeout <= 0 || cfg.posterAt < 0:
		return Info{}, fmt.Errorf("playback.Probe: timeout %v, poster at %v: want positive values", cfg.timeout, cfg.posterAt)
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	if err := ctx.Err(); err != nil {
		return Info{}, fmt.Errorf("playback.Probe: %w", err)
	}
	if err := checkLocal(url); err != nil {
		return Info{}, fmt.Errorf("playback.Probe %s: %w", url, err)
	}
	start := time.Now()
	pr, err := newProber(ctx, cfg)
	if err != nil {
		return Info{}, fmt.Errorf("playback.Probe: %w", err)
	}
	info, err := pr.run(ctx, url)
	pr.close()
	if err != nil {
		return Info{}, fmt.Errorf("playback.Probe %s: %w", url, err)
	}
	cfg.log.Debug("probed", "component", "playback", "url", url, "took", time.Since(start),
		"duration", info.Duration, "width", info.Width, "height", info.Height, "poster_at", info.PosterAt)
	return info, nil
}

// prober is one Probe's mpv core. The calling goroutine drives the core
// and reads its events; a render goroutine serves mpv's frame updates
// (mpv waits for each frame it hands out to be rendered) and renders the
// poster on request, so the core never waits on the goroutine that waits
// on the core.
type prober struct {
	cfg  probeConfig
	log  *slog.Logger
	m    *mpv.Mpv
	rc   *mpv.RenderContext
	wake chan struct{}
	// grabs carries poster requests to the render goroutine.
	grabs      chan grabRequest
	quit       chan struct{}
	renderDone chan struct{}
	wakerDone  chan struct{}
	logTail    []string
}

type grabRequest struct {
	w, h  int
	reply chan grabResult
}

type grabResult struct {
	img *image.RGBA
	err error
}

func newProber(ctx context.Context, cfg probeConfig) (*prober, error) {
	mpv.SetLocale(mpv.LCNumeric, "C")
	m := mpv.New()
	// mpv's own network timeout ends a silent connection a little after
	// ours would; ours is the one reported.
	netTimeout := cfg.timeout
	if dl, ok := ctx.Deadline(); ok {
		netTimeout = time.Until(dl)
	}
	options := [][2]string{
		{"vo", "libmpv"}, {"ao", "null"},
		// Nothing from the user's mpv setup may change what is probed.
		{"config", "no"}, {"load-scripts", "no"}, {"ytdl", "no"}, {"osc", "no"},
		{"terminal", "no"}, {"input-default-bindings", "no"}, {"input-vo-keyboard", "no"},
		{"resume-playback", "no"}, {"save-position-on-quit", "no"},
		{"sub-auto", "no"}, {"audio-file-auto", "no"}, {"load-unsafe-playlists", "no"},
		{"osd-level", "0"},
		// No subtitles decoded, no cover art taken for video. Audio stays
		// selected: with nothing selected mpv ends an audio-only file
		// before its streams can be read.
		{"sid", "no"}, {"audio-display", "no"},
		// Stay on the file, paused, whatever the seek hits; keep-open keeps
		// the last frame up when a seek lands past the end of a cut file.
		{"idle", "yes"}, {"keep-open", "yes"}, {"pause", "yes"},
		{"hwdec", "no"}, {"hr-seek", "yes"},
		// A probe reads only around the poster: no read-ahead of a remote
		// file beyond what decoding needs.
		{"cache", "no"}, {"demuxer-max-bytes", strconv.Itoa(4 << 20)},
		{"network-timeout", strconv.FormatFloat(max(1, netTimeout.Seconds()), 'f', 3, 64)},
	}
	// An upload is the file itself: a dropped playlist or EDL must not
	// fetch from the hosts it names.
	options = append(options, onlyWhatIsAsked...)
	if err := initCore(m, options); err != nil {
		return nil, err
	}
	rc, err := m.NewRenderContextSW()
	if err != nil {
		m.TerminateDestroy()
		return nil, fmt.Errorf("render context: %w", err)
	}
	pr := &prober{
		cfg:        cfg,
		log:        cfg.log.With("component", "playback"),
		m:          m,
		rc:         rc,
		wake:       make(chan struct{}, 1),
		grabs:      make(chan grabRequest),
		quit:       make(chan struct{}),
		renderDone: make(chan struct{}),
		wakerDone:  make(chan struct{}),
	}
	rc.SetUpdateCallback(func() { signal(pr.wake) })
	go pr.renderLoop()
	// Wakes the event wait when ctx ends, so a timeout is noticed at once.
	go func() {
		defer close(pr.wakerDone)
		select {
		case <-ctx.Done():
			m.Wakeup()
		case <-pr.quit:
		}
	}()
	return pr, nil
}

// close stops the goroutines and destroys the core; the render context
// must go first.
func (pr *prober) close() {
	close(pr.quit)
	<-pr.renderDone
	<-pr.wakerDone
	pr.rc.Free()
	pr.m.TerminateDestroy()
}

// renderLoop keeps mpv's frames moving, drawing them into a scratch buffer
// (cheap: the poster is rendered again at its size on request, from the
// frame mpv keeps).
func (pr *prober) renderLoop() {
	defer close(pr.renderDone)
	scratch := make([]byte, 2*2*4)
	for {
		select {
		case <-pr.quit:
			return
		case <-pr.wake:
			if pr.rc.Update()&mpv.RenderUpdateFrame != 0 {
				if err := pr.rc.RenderSW(2, 2, 8, "rgb0", scratch); err != nil {
					pr.log.Debug("probe render", "err", err)
				}
			}
		case req := <-pr.grabs:
			img := image.NewRGBA(image.Rect(0, 0, req.w, req.h))
			err := pr.rc.RenderSW(req.w, req.h, img.Stride, "rgb0", img.Pix)
			if err == nil {
				opaque(img.Pix)
			}
			req.reply <- grabResult{img, err}
		}
	}
}

// grab renders the frame mpv shows at w×h.
func (pr *prober) grab(ctx context.Context, w, h int) (*image.RGBA, error) {
	req := grabRequest{w: w, h: h, reply: make(chan grabResult, 1)}
	select {
	case pr.grabs <- req:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	res := <-req.reply
	return res.img, res.err
}

// errFileEnded is an end-file that waitFor turns into a classified error.
var errFileEnded = errors.New("file ended")

// waitFor reads events until one satisfies done, the file ends, or ctx
// ends. entry is the playlist entry of our file.
func (pr *prober) waitFor(ctx context.Context, entry int64, what string, done func(e *mpv.Event) bool) error {
	for {
		if err := ctx.Err(); err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				return fmt.Errorf("%w: waiting for %s (%w)", ErrTimeout, what, err)
			}
			return err
		}
		e := pr.m.WaitEvent(1)
		switch e.EventID {
		case mpv.EventNone:
			continue
		case mpv.EventShutdown:
			return errors.New("mpv shut down")
		case mpv.EventLogMsg:
			msg := e.LogMessage()
			pr.log.Debug("mpv", "level", msg.Level, "prefix", msg.Prefix, "text", msg.Text)
			pr.logTail = append(pr.logTail, strings.TrimSpace(msg.Text))
			if len(pr.logTail) > 8 {
				pr.logTail = pr.logTail[1:]
			}
			continue
		case mpv.EventEnd:
			end := e.EndFile()
			if end.EntryID != entry {
				continue
			}
			return pr.classifyEnd(ctx, end)
		}
		if done(e) {
			return nil
		}
	}
}

// classifyEnd turns the end of our file before the poster into an error.
func (pr *prober) classifyEnd(ctx context.Context, end mpv.EventEndFile) error {
	tail := strings.Join(pr.logTail, "; ")
	switch {
	case ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("%w (%w)", ErrTimeout, ctx.Err())
	case end.Reason == mpv.EndFileRedirect:
		return fmt.Errorf("%w: a playlist, not a video", ErrNotVideo)
	case end.Reason == mpv.EndFileEOF:
		// With keep-open a video never ends by itself: an EOF here means
		// nothing playable was found.
		return fmt.Errorf("%w: nothing playable in it", ErrNotVideo)
	case errors.Is(end.Error, mpv.ErrUnknownFormat), errors.Is(end.Error, mpv.ErrNothingToPlay):
		return ErrNotVideo
	case strings.Contains(strings.ToLower(tail), "timed out"):
		return fmt.Errorf("%w: %s", ErrTimeout, tail)
	case tail != "":
		return fmt.Errorf("%w: %s", ErrLoadFailed, tail)
	}
	return fmt.Errorf("%w (mpv: %v)", ErrLoadFailed, end.Error)
}

// checkLocal gives clear errors for local paths mpv would misread: a
// folder (mpv plays its contents as a playlist), a missing or unreadable
// file. URLs are left to mpv.
func checkLocal(url string) error {
	if strings.Contains(url, "://") {
		return nil
	}
	fi, err := os.Stat(url)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrLoadFailed, err)
	}
	if fi.IsDir() {
		return fmt.Errorf("%w: a folder", ErrNotVideo)
	}
	f, err := os.Open(url)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrLoadFailed, err)
	}
	return f.Close()
}

func (pr *prober) run(ctx context.Context, url string) (Info, error) {
	res, err := pr.m.CommandRet([]string{"loadfile", url, "replace"})
	if err != nil {
		return Info{}, fmt.Errorf("load: %w", err)
	}
	entry, _ := asInt64(nodeField(res, "playlist_entry_id"))

	// The file loads paused on its first frame; its restart event comes
	// before any seek is issued, so the next restart is the seek's.
	// The streams are judged as soon as they are known: a file without
	// video may end (nothing to play) before any restart.
	loaded := false
	var info Info
	var describeErr error
	err = pr.waitFor(ctx, entry, "the file to load", func(e *mpv.Event) bool {
		if e.EventID == mpv.EventFileLoaded && !loaded {
			loaded = true
			info, describeErr = pr.describe()
			return describeErr != nil
		}
		return loaded && e.EventID == mpv.EventPlaybackRestart
	})
	if describeErr != nil {
		return Info{}, describeErr
	}
	if err != nil {
		return Info{}, err
	}
	first := posterTime(info.Duration, pr.cfg.posterAt)
	var best *image.RGBA
	var bestAt time.Duration
	bestBright := -1.0
	for i, at := range posterTimes(first, info.Duration) {
		img, shownAt, err := pr.frameAt(ctx, entry, at)
		if err != nil {
			return Info{}, err
		}
		if i == 0 {
			// The display size is known once a frame is decoded.
			info.Width, info.Height = pr.displaySize(info.Width, info.Height)
		}
		bright := brightFraction(img)
		if bright > bestBright {
			best, bestAt, bestBright = img, shownAt, bright
		}
		if bright >= minBrightFraction {
			break
		}
		pr.log.Debug("poster candidate is near black", "at", shownAt, "bright", bright)
	}
	info.Poster, info.PosterAt = best, bestAt
	return info, nil
}

// describe reads the loaded file's properties.
func (pr *prober) describe() (Info, error) {
	var info Info
	if d, err := pr.m.GetProperty("duration", mpv.FormatDouble); err == nil {
		if s, ok := d.(float64); ok && s > 0 && !math.IsInf(s, 0) {
			info.Duration = time.Duration(s * float64(time.Second))
		}
	}
	info.Container = pr.m.GetPropertyString("file-format")
	list, err := pr.m.GetProperty("track-list", mpv.FormatNode)
	if err != nil {
		return Info{}, fmt.Errorf("track list: %w", err)
	}
	items, _ := list.([]any)
	videos, stills := 0, 0
	for _, item := range items {
		t, _ := item.(map[string]any)
		codec := str(t["codec"])
		switch TrackType(str(t["type"])) {
		case VideoTrack:
			// Cover art and still images are pictures, not video.
			if art, _ := t["albumart"].(bool); art {
				continue
			}
			if still, _ := t["image"].(bool); still {
				stills++
				continue
			}
			videos++
			if info.VideoCodec == "" {
				info.VideoCodec = codec
				w, _ := asInt64(t["demux-w"])
				h, _ := asInt64(t["demux-h"])
				info.Width, info.Height = int(w), int(h)
			}
		case AudioTrack:
			info.AudioTracks++
			if info.AudioCodec == "" {
				info.AudioCodec = codec
			}
		case SubtitleTrack:
			info.SubtitleTracks++
		}
	}
	switch {
	case videos == 0 && info.AudioTracks > 0:
		return Info{}, fmt.Errorf("%w: only audio (%s)", ErrNoVideoStream, info.AudioCodec)
	case videos == 0 && stills > 0:
		return Info{}, fmt.Errorf("%w: a still image", ErrNotVideo)
	case videos == 0:
		return Info{}, fmt.Errorf("%w: no video stream", ErrNotVideo)
	}
	return info, nil
}

// displaySize is mpv's display size (aspect and rotation applied), or the
// container's size when mpv does not know it.
func (pr *prober) displaySize(w, h int) (int, int) {
	dw, err1 := pr.m.GetProperty("dwidth", mpv.FormatInt64)
	dh, err2 := pr.m.GetProperty("dheight", mpv.FormatInt64)
	if err1 == nil && err2 == nil {
		if x, _ := asInt64(dw); x > 0 {
			if y, _ := asInt64(dh); y > 0 {
				w, h = int(x), int(y)
			}
		}
	}
	if r, err := pr.m.GetProperty("video-params/rotate", mpv.FormatInt64); err == nil {
		if deg, _ := asInt64(r); deg%180 == 90 {
			w, h = h, w
		}
	}
	return w, h
}

// frameAt seeks exactly to at and renders the frame shown there; shownAt
// is where mpv landed (earlier than at when the file ends before it).
func (pr *prober) frameAt(ctx context.Context, entry int64, at time.Duration) (*image.RGBA, time.Duration, error) {
	pos := strconv.FormatFloat(at.Seconds(), 'f', 6, 64)
	if err := pr.m.Command([]string{"seek", pos, "absolute+exact"}); err != nil {
		return nil, 0, fmt.Errorf("seek to %s s: %w", pos, err)
	}
	err := pr.waitFor(ctx, entry, "the poster frame", func(e *mpv.Event) bool {
		return e.EventID == mpv.EventPlaybackRestart
	})
	if err != nil {
		return nil, 0, err
	}
	shownAt := at
	if v, err := pr.m.GetProperty("time-pos", mpv.FormatDouble); err == nil {
		if s, ok := v.(float64); ok && s >= 0 {
			shownAt = time.Duration(math.Round(s*1e6)) * time.Microsecond
		}
	}
	w, h := pr.displaySize(0, 0)
	if w == 0 || h == 0 {
		return nil, 0, fmt.Errorf("%w: no picture size after decoding", ErrNotVideo)
	}
	size := posterSize(w, h, pr.cfg.posterWidth)
	img, err := pr.grab(ctx, size.X, size.Y)
	if err != nil {
		return nil, 0, fmt.Errorf("render poster: %w", err)
	}
	return img, shownAt, nil
}

// posterTime is where the first poster candidate is taken.
func posterTime(duration, requested time.Duration) time.Duration {
	switch {
	case requested > 0 && (duration == 0 || requested < duration):
		return requested
	case duration == 0:
		return time.Second
	case duration < 2*time.Second:
		return duration / 2
	}
	return max(time.Second, duration/10)
}

// posterTimes lists the positions tried, first first; later ones spread
// over the rest of the video, short of its end (often black credits).
func posterTimes(first, duration time.Duration) []time.Duration {
	times := []time.Duration{first}
	if duration <= first {
		return times
	}
	span := (duration*3/4 - first) / (posterTries - 1)
	if span < 100*time.Millisecond {
		return times
	}
	for i := 1; i < posterTries; i++ {
		times = append(times, first+time.Duration(i)*span)
	}
	return times
}

// posterSize scales w×h to at most maxWidth wide, keeping the aspect.
func posterSize(w, h, maxWidth int) image.Point {
	if w <= maxWidth {
		return image.Pt(w, h)
	}
	return image.Pt(maxWidth, max(1, int(math.Round(float64(h)*float64(maxWidth)/float64(w)))))
}

// minBrightFraction: a frame with fewer pixels brighter than brightLuma is
// taken for black (a fade, a blank title card).
const (
	minBrightFraction = 0.02
	brightLuma        = 40
)

// brightFraction is the share of pixels (sampled on a grid) whose luma is
// above brightLuma.
func brightFraction(img *image.RGBA) float64 {
	const step = 4
	var bright, total int
	b := img.Rect
	for y := b.Min.Y; y < b.Max.Y; y += step {
		row := img.Pix[(y-b.Min.Y)*img.Stride:]
		for x := 0; x < b.Dx(); x += step {
			p := row[x*4 : x*4+3]
			luma := (2126*int(p[0]) + 7152*int(p[1]) + 722*int(p[2])) / 10000
			if luma > brightLuma {
				bright++
			}
			total++
		}
	}
	if total == 0 {
		return 0
	}
	return float64(bright) / float64(total)
}

// EncodeJPEG encodes img as a baseline JPEG at quality 1–100 (80 makes a
// 1280×720 poster of about 100 KiB).
func EncodeJPEG(img image.Image, quality int) ([]byte, error) {
	if img == nil || img.Bounds().Empty() {
		return nil, errors.New("playback.EncodeJPEG: empty image")
	}
	if quality < 1 || quality > 100 {
		return nil, fmt.Errorf("playback.EncodeJPEG: quality %d: want 1 to 100", quality)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		return nil, fmt.Errorf("playback.EncodeJPEG: %w", err)
	}
	return buf.Bytes(), nil
}
