package playerview

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path"
	"sync"
	"time"

	"github.com/ipfs-tube/ipfs-tube/app/internal/link"
	"github.com/ipfs-tube/ipfs-tube/library"
	"github.com/ipfs-tube/ipfs-tube/playback"
)

// session is one Open: resolving the link, the player that plays it, and
// saving the viewer's progress. Each has its own player, so nothing of a
// previous video (its callbacks, its cache, its connection to the gateway)
// can leak into the next.
type session struct {
	v      *View
	target link.Target
	ctx    context.Context
	cancel context.CancelFunc
	// cmds serialises the viewer's commands to the player on the session
	// goroutine, so the UI thread never waits for mpv.
	cmds chan func(*playback.Player) error

	// Guarded by v.mu.
	stream    Stream
	title     string
	player    *playback.Player
	st        playback.Status
	resolving bool
	err       error // resolve or player failure
	// resumeTo is where playback resumes, in seconds, until the first
	// frame after that seek: the frames before it (from 0) stay hidden.
	resumeTo     float64
	resumeIssued bool
	resumeBase   uint64  // SeekSeq before the resume seek
	played       bool    // a frame was shown: only then is progress worth saving
	firstFrameAt float64 // the position of the first frame shown
	local        []span

	// recordMu orders the saves of the poller and of the teardown, so an
	// older position never lands after a newer one.
	recordMu      sync.Mutex
	lastSaved     float64
	lastSavedAt   time.Time
	durationSaved bool
}

// errResolveTimeout marks a link nobody served in time.
var errResolveTimeout = errors.New("nobody sent the video in time")

// run drives the session from resolving to teardown; it is the only
// goroutine that calls the player's commands and the one that closes it.
func (s *session) run(openCtx context.Context) {
	v := s.v
	defer v.wg.Done()
	defer s.cancel()

	p, err := s.start(openCtx)
	if err != nil {
		if s.ctx.Err() == nil {
			v.log.Info("open failed", "target", s.target.String(), "err", err)
		}
		v.mu.Lock()
		s.resolving = false
		s.err = err
		v.mu.Unlock()
		v.scheduleUI()
		return
	}
	defer p.Close()
	for {
		select {
		case <-s.ctx.Done():
			// The callbacks stopped updating s.st when the session was
			// replaced; the player itself knows where it stopped.
			final := p.Status()
			v.mu.Lock()
			s.st = final
			v.mu.Unlock()
			s.saveProgress(true)
			return
		case cmd := <-s.cmds:
			if err := cmd(p); err != nil {
				// Commands on a file that failed, or a seek before mpv
				// knows the file: nothing the viewer needs to read.
				v.log.Debug("player command", "err", err)
			}
		}
	}
}

// start resolves the link, looks the video up in the catalog and starts
// the player.
func (s *session) start(openCtx context.Context) (*playback.Player, error) {
	v := s.v
	// The player starts while the link resolves, not after.
	starting := playback.Start(s.ctx, append([]playback.Option{
		playback.WithAudio(v.cfg.audio),
		playback.WithLogger(v.log),
		playback.WithStatusFunc(s.onStatus),
		playback.WithFrameFunc(s.onFrame),
	}, v.cfg.playerOpts...)...)
	started := false
	defer func() {
		if !started {
			starting.Discard()
		}
	}()
	rctx, cancel := context.WithTimeout(s.ctx, v.cfg.resolveTimeout)
	stopAfter := context.AfterFunc(openCtx, cancel)
	stream, err := v.src.Resolve(rctx, s.target)
	stopAfter()
	timedOut := errors.Is(rctx.Err(), context.DeadlineExceeded)
	cancel()
	if err != nil {
		if timedOut {
			return nil, fmt.Errorf("playerview.Open %s: %w within %v: %w", s.target, errResolveTimeout, v.cfg.resolveTimeout, err)
		}
		return nil, fmt.Errorf("playerview.Open %s: %w", s.target, err)
	}
	if stream.URL == "" {
		return nil, fmt.Errorf("playerview.Open %s: the backend gave no URL", s.target)
	}

	title := stream.Title
	var resume time.Duration
	if v.cfg.catalog != nil && stream.File.Defined() {
		cctx, cancel := context.WithTimeout(s.ctx, catalogWait)
		vid, err := v.cfg.catalog.Upsert(cctx, stream.File, func(vid *library.Video) error {
			if vid.Title == "" {
				vid.Title = stream.Title
			}
			if vid.Size == 0 {
				vid.Size = stream.Size
			}
			return nil
		})
		cancel()
		switch {
		case err != nil:
			// The video still plays; only resume and history are lost.
			v.log.Warn("catalog", "op", "upsert", "cid", stream.File.String(), "err", err)
		default:
			if title == "" {
				title = vid.Title
			}
			if vid.LastPosition >= minResume && !vid.Finished() {
				resume = vid.LastPosition
			}
		}
	}
	if title == "" {
		title = fallbackTitle(s.target)
	}

	started = true
	p, err := starting.Wait()
	if err != nil {
		return nil, fmt.Errorf("playerview.Open: %w", err)
	}

	v.mu.Lock()
	if s.ctx.Err() != nil {
		v.mu.Unlock()
		p.Close()
		return nil, s.ctx.Err()
	}
	s.stream, s.title, s.player, s.resolving = stream, title, p, false
	s.resumeTo = resume.Seconds()
	w, h := v.surfaceW, v.surfaceH
	volume := v.effectiveVolume()
	v.mu.Unlock()
	v.scheduleUI()

	if w > 0 && h > 0 {
		_ = p.SetSurfaceSize(w, h)
	}
	if err := p.SetVolume(volume); err != nil {
		v.log.Debug("player volume", "err", err)
	}
	if err := p.Load(s.ctx, stream.URL); err != nil {
		p.Close()
		return nil, fmt.Errorf("playerview.Open: %w", err)
	}
	v.log.Info("open", "target", s.target.String(), "cid", stream.File.String(), "resume", resume)
	return p, nil
}

const (
	// catalogWait bounds one catalog call; a slow catalog costs history,
	// never playback.
	catalogWait = 5 * time.Second
	// minResume: a viewing that stopped this early starts over.
	minResume = time.Second
)

// fallbackTitle names a video by its link: the file name in the path, or
// a shortened CID or IPNS name.
func fallbackTitle(t link.Target) string {
	if t.Path != "" {
		return path.Base(t.Path)
	}
	name := t.IPNS
	if name == "" && t.Cid.Defined() {
		name = t.Cid.String()
	}
	if len(name) > 16 {
		name = name[:8] + "…" + name[len(name)-6:]
	}
	return name
}

// send queues a command for the player. A viewer hammering a key faster
// than mpv follows loses presses rather than freezing the window.
func (s *session) send(cmd func(*playback.Player) error) {
	select {
	case s.cmds <- cmd:
	default:
		s.v.log.Debug("player busy: command dropped")
	}
}

// lockIfCurrent takes the view's lock when s is still the view's session,
// and reports whether it did: a replaced player's last reports must not
// reach the view.
func (s *session) lockIfCurrent() bool {
	s.v.mu.Lock()
	if s.v.sess != s {
		s.v.mu.Unlock()
		return false
	}
	return true
}

// onStatus runs on the player's status goroutine.
func (s *session) onStatus(st playback.Status) {
	if !s.lockIfCurrent() {
		return
	}
	v := s.v
	s.st = st
	var resumeAt float64
	switch st.State {
	case playback.Playing, playback.Paused, playback.Buffering:
		// The file is open now, so mpv can seek in it.
		if s.resumeTo > 0 && !s.resumeIssued {
			s.resumeIssued = true
			s.resumeBase = st.SeekSeq
			resumeAt = s.resumeTo
		}
	case playback.Error, playback.Ended:
		s.resumeTo = 0
	}
	v.mu.Unlock()
	if resumeAt > 0 {
		s.send(func(p *playback.Player) error {
			if err := p.Seek(resumeAt); err != nil {
				// Show the video from where it is rather than nothing.
				v.mu.Lock()
				s.resumeTo = 0
				v.mu.Unlock()
				v.scheduleUI()
				return err
			}
			return nil
		})
	}
	v.scheduleUI()
}

// onFrame runs on the player's frame goroutine.
func (s *session) onFrame(f playback.Frame) {
	if !s.lockIfCurrent() {
		return
	}
	v := s.v
	hide := s.resumeTo > 0 && (!s.resumeIssued || f.SeekSeq <= s.resumeBase)
	resumed := false
	if !hide {
		resumed = s.resumeTo > 0
		s.resumeTo = 0
		if !s.played {
			s.played, s.firstFrameAt = true, f.Position
		}
	}
	v.mu.Unlock()
	if hide {
		return
	}
	if v.surface.offer(f) {
		v.do(v.surface.draw)
	}
	if resumed {
		v.scheduleUI()
	}
}

// saveProgress records the position in the catalog when it moved since
// the last save and the save is due (or force).
func (s *session) saveProgress(force bool) {
	v := s.v
	if v.cfg.catalog == nil {
		return
	}
	s.recordMu.Lock()
	defer s.recordMu.Unlock()
	v.mu.Lock()
	st, file, played := s.st, s.stream.File, s.played
	pending := s.resumeTo > 0
	v.mu.Unlock()
	if !played || pending || !file.Defined() {
		return
	}
	pos := st.Position
	if st.State == playback.Ended && st.Duration > 0 {
		pos = st.Duration
	}
	now := time.Now()
	due := force || now.Sub(s.lastSavedAt) >= v.cfg.recordEvery || st.State == playback.Ended
	if !due || math.Abs(pos-s.lastSaved) < 0.5 || math.IsNaN(pos) || pos < 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), catalogWait)
	defer cancel()
	if !s.durationSaved && st.Duration > 0 {
		// Finished needs the duration: without it a finished video would
		// resume at its last frame.
		_, err := v.cfg.catalog.Upsert(ctx, file, func(vid *library.Video) error {
			if vid.Duration == 0 {
				vid.Duration = seconds(st.Duration)
			}
			if vid.Width == 0 && vid.Height == 0 {
				vid.Width, vid.Height = st.Width, st.Height
			}
			return nil
		})
		if err != nil {
			v.log.Warn("catalog", "op", "duration", "cid", file.String(), "err", err)
		} else {
			s.durationSaved = true
		}
	}
	if _, err := v.cfg.catalog.RecordWatch(ctx, file, seconds(pos), now); err != nil {
		v.log.Warn("catalog", "op", "record watch", "cid", file.String(), "err", err)
		return
	}
	s.lastSaved, s.lastSavedAt = pos, now
}

func seconds(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }
