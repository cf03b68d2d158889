package playback

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"time"

	mpv "github.com/gen2brain/go-mpv"
)

// Observed mpv properties; the index is the reply id.
const (
	propPause = iota
	propPausedForCache
	propEOF
	propTimePos
	propDuration
	propCacheAhead
	propCacheSpeed
	propWidth
	propHeight
	propTrackList
	propVolume
)

var observed = [...]string{
	propPause:          "pause",
	propPausedForCache: "paused-for-cache",
	propEOF:            "eof-reached",
	propTimePos:        "time-pos",
	propDuration:       "duration",
	propCacheAhead:     "demuxer-cache-duration",
	propCacheSpeed:     "cache-speed",
	propWidth:          "dwidth",
	propHeight:         "dheight",
	propTrackList:      "track-list",
	propVolume:         "volume",
}

// rawStatus is what the event loop knows, from which Status is derived.
type rawStatus struct {
	url   string
	entry int64 // mpv playlist entry of the current Load
	// startedEntry is the entry of the last start-file event: file-loaded
	// and playback-restart carry no entry, so they count only while it is
	// the current one.
	startedEntry int64

	fileLoaded bool
	restarted  bool // first playback restart after loading
	pause      bool
	buffering  bool
	eof        bool
	position   float64
	duration   float64
	cacheAhead float64
	width      int
	height     int
	volume     float64
	tracks     []Track
	err        error

	seeksIssued, seeksDone uint64

	// lastProgress is when bytes or the playhead last moved, for the stall
	// watchdog.
	lastProgress time.Time
	// logTail keeps mpv's last warnings and errors to explain failures.
	logTail []string
}

func (r *rawStatus) resetFile(url string, entry int64, now time.Time) {
	*r = rawStatus{
		url:          url,
		entry:        entry,
		startedEntry: r.startedEntry,
		volume:       r.volume,
		seeksIssued:  r.seeksIssued,
		seeksDone:    r.seeksDone,
		lastProgress: now,
	}
}

func (r *rawStatus) state() State {
	switch {
	case r.err != nil:
		return Error
	case r.url == "":
		return Idle
	case r.eof:
		return Ended
	case !r.fileLoaded || !r.restarted:
		return Loading
	case r.buffering:
		return Buffering
	case r.pause:
		return Paused
	default:
		return Playing
	}
}

func (r *rawStatus) public() Status {
	return Status{
		State:      r.state(),
		URL:        r.url,
		Position:   r.position,
		Duration:   r.duration,
		CacheAhead: r.cacheAhead,
		Width:      r.width,
		Height:     r.height,
		Volume:     r.volume,
		Tracks:     r.tracks,
		SeekSeq:    r.seeksDone,
		Err:        r.err,
	}
}

// watchdogTick is how often the event loop wakes without events to check
// for stalls.
const watchdogTick = 250 * time.Millisecond

// eventLoop is the only reader of mpv's event queue. It never blocks on a
// consumer: status goes out through notifyStatus, frames through their own
// goroutines.
func (p *Player) eventLoop() {
	defer close(p.eventDone)
	lastCheck := time.Now()
	for {
		select {
		case <-p.quit:
			return
		default:
		}
		e := p.m.WaitEvent(watchdogTick.Seconds())
		if e.EventID == mpv.EventShutdown {
			return
		}
		if e.EventID != mpv.EventNone {
			p.handleEvent(e)
		}
		// Checked on a clock rather than on idle wakeups, which a steady
		// stream of events would starve.
		if now := time.Now(); now.Sub(lastCheck) >= watchdogTick {
			lastCheck = now
			p.checkStall(now)
		}
	}
}

func (p *Player) handleEvent(e *mpv.Event) {
	switch e.EventID {
	case mpv.EventLogMsg:
		msg := e.LogMessage()
		p.log.Debug("mpv", "level", msg.Level, "prefix", msg.Prefix, "text", msg.Text)
		p.mu.Lock()
		p.st.logTail = append(p.st.logTail, msg.Text)
		if len(p.st.logTail) > 8 {
			p.st.logTail = p.st.logTail[1:]
		}
		p.mu.Unlock()
		return

	case mpv.EventStart:
		entry := e.StartFile().EntryID
		p.mu.Lock()
		p.st.startedEntry = entry
		p.mu.Unlock()

	case mpv.EventFileLoaded:
		// Checked here rather than from the track-list event, which may come
		// later, so an audio-only file never starts playing.
		tracks := parseTracks(p.m.GetProperty("track-list", mpv.FormatNode))
		p.mu.Lock()
		if p.st.startedEntry != p.st.entry || p.st.err != nil {
			p.mu.Unlock()
			return
		}
		p.st.fileLoaded = true
		p.st.tracks = tracks
		p.st.lastProgress = time.Now()
		hasVideo := false
		for _, t := range tracks {
			if t.Type == VideoTrack && t.Selected {
				hasVideo = true
				// The renderer needs a size for the first frame, and mpv
				// reports the display size only once that frame is drawn:
				// start with the container's.
				p.fr.setProvisionalSize(t.Width, t.Height)
			}
		}
		if !hasVideo {
			p.failLocked(ErrNoVideoStream, "only audio or subtitles")
		}
		p.mu.Unlock()

	case mpv.EventPlaybackRestart:
		p.mu.Lock()
		if p.st.startedEntry != p.st.entry {
			p.mu.Unlock()
			return
		}
		p.st.restarted = true
		seekDone := p.st.seeksIssued > p.st.seeksDone
		if seekDone {
			// mpv merges seeks issued before the previous one finished into
			// one restart, so all issued so far are done.
			p.st.seeksDone = p.st.seeksIssued
		}
		done := p.st.seeksDone
		p.mu.Unlock()
		if seekDone {
			p.fr.seekCompleted(done)
		}

	case mpv.EventEnd:
		end := e.EndFile()
		p.mu.Lock()
		if end.EntryID != p.st.entry {
			p.mu.Unlock()
			return
		}
		switch end.Reason {
		case mpv.EndFileEOF:
			// keep-open turns a normal end into eof-reached; an end-file EOF
			// means mpv found nothing to play in what it read.
			if !p.st.restarted {
				p.failLocked(ErrNotVideo, "nothing playable in it")
			} else {
				p.st.eof = true
			}
		case mpv.EndFileError:
			p.failLocked(p.classify(end.Error))
		case mpv.EndFileRedirect:
			// The file was a playlist that mpv expanded in its place. The
			// options keep playlists from opening; should one get through,
			// the player fails at once (and its stop clears the entries)
			// rather than wait on entries it never follows.
			p.failLocked(ErrNotVideo, "a playlist: only the file asked for is played, not the files it names")
		}
		p.mu.Unlock()

	case mpv.EventPropertyChange:
		p.propertyChanged(e.Property())
	}
	p.notifyStatus()
}

func (p *Player) propertyChanged(prop mpv.EventProperty) {
	id := -1
	for i, name := range observed {
		if name == prop.Name {
			id = i
			break
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	switch id {
	case propPause:
		p.st.pause, _ = prop.Data.(bool)
	case propPausedForCache:
		was := p.st.buffering
		p.st.buffering, _ = prop.Data.(bool)
		if p.st.buffering && !was {
			// Waiting starts now, not at the last frame.
			p.st.lastProgress = now
		}
	case propEOF:
		eof, _ := prop.Data.(bool)
		if p.st.fileLoaded {
			p.st.eof = eof
		}
	case propTimePos:
		if v, ok := asFloat(prop.Data); ok {
			if v != p.st.position {
				p.st.lastProgress = now
			}
			p.st.position = v
			p.fr.setPosition(v)
		}
	case propDuration:
		p.st.duration, _ = asFloat(prop.Data)
	case propCacheAhead:
		v, _ := asFloat(prop.Data)
		if v > p.st.cacheAhead {
			p.st.lastProgress = now
		}
		p.st.cacheAhead = v
	case propCacheSpeed:
		if v, _ := asFloat(prop.Data); v > 0 {
			p.st.lastProgress = now
		}
	case propWidth, propHeight:
		v, _ := asInt64(prop.Data)
		if id == propWidth {
			p.st.width = int(v)
		} else {
			p.st.height = int(v)
		}
		p.fr.setVideoSize(p.st.width, p.st.height)
	case propTrackList:
		p.st.tracks = parseTracks(prop.Data, nil)
	case propVolume:
		if v, ok := asFloat(prop.Data); ok {
			p.st.volume = v
		}
	}
}

// checkStall fails a load or a buffering pause that has seen no byte and
// no playhead movement for longer than the network timeout. mpv's own
// timeout covers a connection that stays silent; this covers what it does
// not, such as a server that sent headers and then nothing.
func (p *Player) checkStall(now time.Time) {
	p.mu.Lock()
	state := p.st.state()
	stalled := (state == Loading || state == Buffering) && now.Sub(p.st.lastProgress) > p.cfg.networkTimeout+watchdogTick
	if stalled {
		p.failLocked(ErrTimeout, fmt.Sprintf("nothing received for %v", p.cfg.networkTimeout))
	}
	p.mu.Unlock()
	if stalled {
		p.notifyStatus()
	}
}

// failLocked enters the Error state and stops mpv (which would otherwise
// keep waiting on the network or play sound alone). Called with mu held.
func (p *Player) failLocked(kind error, detail string) {
	if p.st.err != nil {
		return
	}
	if detail != "" {
		p.st.err = fmt.Errorf("%w: %s", kind, detail)
	} else {
		p.st.err = kind
	}
	p.log.Warn("playback failed", "url", p.st.url, "err", p.st.err)
	// Asynchronous: the event loop must not wait on mpv's core while
	// holding mu.
	if err := p.m.CommandAsync(0, []string{"stop"}); err != nil {
		p.log.Debug("stop after failure", "err", err)
	}
}

// classify maps mpv's end-of-file error, and the warnings it logged for the
// file, to one of the package's errors and a detail for people. Called with
// mu held.
func (p *Player) classify(err error) (kind error, detail string) {
	tail := strings.ToLower(strings.Join(p.st.logTail, "\n"))
	switch {
	case errors.Is(err, mpv.ErrUnknownFormat), errors.Is(err, mpv.ErrNothingToPlay):
		// mpv's own words ("Failed to recognize file format") say no more.
		return ErrNotVideo, ""
	case strings.Contains(tail, "timed out"), time.Since(p.st.lastProgress) >= p.cfg.networkTimeout:
		return ErrTimeout, fmt.Sprintf("nothing received for %v", p.cfg.networkTimeout)
	}
	// The most specific line: ffmpeg's HTTP status if there was one.
	for i := len(p.st.logTail) - 1; i >= 0; i-- {
		if line := p.st.logTail[i]; strings.Contains(line, "HTTP error") {
			return ErrLoadFailed, strings.TrimPrefix(line, "http: ")
		}
	}
	if n := len(p.st.logTail); n > 0 {
		return ErrLoadFailed, p.st.logTail[n-1]
	}
	return ErrLoadFailed, fmt.Sprint(err)
}

// parseTracks reads mpv's track-list node.
func parseTracks(v any, err error) []Track {
	if err != nil {
		return nil
	}
	list, _ := v.([]any)
	tracks := make([]Track, 0, len(list))
	for _, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			continue
		}
		id, _ := asInt64(m["id"])
		t := Track{ID: int(id)}
		t.Type = TrackType(str(m["type"]))
		t.Title, t.Lang, t.Codec = str(m["title"]), str(m["lang"]), str(m["codec"])
		t.Default, _ = m["default"].(bool)
		t.Selected, _ = m["selected"].(bool)
		t.External, _ = m["external"].(bool)
		w, _ := asInt64(m["demux-w"])
		h, _ := asInt64(m["demux-h"])
		t.Width, t.Height = int(w), int(h)
		tracks = append(tracks, t)
	}
	return tracks
}

func str(v any) string { s, _ := v.(string); return s }

func nodeField(v any, key string) any {
	m, _ := v.(map[string]any)
	return m[key]
}

func asFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	}
	return 0, false
}

func asInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case float64:
		return int64(x), true
	}
	return 0, false
}

// goroutineID returns the runtime's id of the calling goroutine. Go hides it
// on purpose; Close uses it only to avoid waiting for itself when called
// from a status or frame function.
func goroutineID() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	id, _ := strconv.ParseUint(string(b), 10, 64)
	return id
}
