package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/ipfs-tube/ipfs-tube/app/internal/link"
	"github.com/ipfs-tube/ipfs-tube/app/internal/termsafe"
	"github.com/ipfs-tube/ipfs-tube/playback"
)

// playOptions are play's own flags.
type playOptions struct {
	headless bool
	seek     string
	duration time.Duration
	stats    bool
}

// seekWait bounds how long one seek may take before play gives up on it.
const seekWait = 60 * time.Second

func (c *cli) playCommand() *cobra.Command {
	var o playOptions
	cmd := &cobra.Command{
		Use:   "play TARGET",
		Short: "Play a video: a CID, ipfs:// or /ipfs/ link, or any http(s) URL (played as-is)",
		Long: "Play a video. A CID or IPFS link plays through this node's loopback gateway;\n" +
			"any other http(s) URL goes to the player untouched, so other gateways can be measured.\n" +
			"--seek jumps to fractions of the duration after the first frame (e.g. 0.8 or 0.2,0.9);\n" +
			"--duration stops after that much playing (default: play to the end);\n" +
			"--stats prints one JSON line of timings and fetch counts at the end.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.play(args[0], o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.headless, "headless", false, "render frames without a window (and without sound)")
	f.StringVar(&o.seek, "seek", "", "seek to these fractions of the duration, in order, after the first frame")
	f.DurationVar(&o.duration, "duration", 0, "stop after playing this long (after the seeks); 0 plays to the end")
	f.BoolVar(&o.stats, "stats", false, "print one JSON line of stats at the end")
	return cmd
}

// isPlainURL says whether s is an http(s) URL to hand to the player as-is.
func isPlainURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// checkPlayURL decides whether the player may be handed u: an http(s) URL,
// and with loopbackOnly one whose host is a loopback address literal (the
// node's own gateway, a test server). A host name is refused unresolved:
// the lookup alone would leave the machine. The player itself never
// follows what a file names (see the playback package), so the URL given
// is the only host it talks to.
func checkPlayURL(u string, loopbackOnly bool) error {
	pu, err := url.Parse(u)
	if err != nil {
		return fmt.Errorf("play: %w", err)
	}
	if pu.Scheme != "http" && pu.Scheme != "https" || pu.Host == "" {
		return fmt.Errorf("play %s: only http(s) URLs with a host are played", u)
	}
	if !loopbackOnly {
		return nil
	}
	const only = "isolated, so only loopback URLs are played (http://127.0.0.1:PORT/…, http://[::1]:PORT/…)"
	ip, err := netip.ParseAddr(pu.Hostname())
	switch {
	case err != nil:
		return fmt.Errorf("play %s: %s; %s is a host name, and names are not looked up", u, only, pu.Hostname())
	case !ip.IsLoopback():
		return fmt.Errorf("play %s: %s; %s is not a loopback address", u, only, pu.Hostname())
	}
	return nil
}

func (c *cli) play(arg string, o playOptions) error {
	seeks, err := parseFractions(o.seek)
	if err != nil {
		return err
	}
	var t link.Target
	if isPlainURL(arg) {
		// Refused before the player starts: it would resolve the name.
		if err := checkPlayURL(arg, c.g.isolated); err != nil {
			return usageError{err}
		}
	} else if t, err = link.Parse(arg); err != nil {
		return usageError{err}
	}
	ctx, cancel := c.context()
	defer cancel()

	var b backend
	if !isPlainURL(arg) {
		if b, err = c.openBackend(ctx, true); err != nil {
			return err
		}
		defer b.Close()
	}

	s := newPlaySession(time.Now())
	var surface *videoSurface
	if !o.headless {
		surface = newVideoSurface()
	}
	// The player starts while the node finds the video, not after.
	starting := playback.Start(ctx,
		playback.WithAudio(!o.headless),
		playback.WithLogger(c.log),
		playback.WithStatusFunc(s.status),
		playback.WithFrameFunc(func(f playback.Frame) {
			s.frame(f)
			if surface != nil {
				surface.show(f)
			}
		}))
	url := arg
	if b != nil {
		if url, err = c.stream(ctx, b, t); err != nil {
			starting.Discard()
			return err
		}
		// A node's gateway, ours or the repo holder's, is on loopback.
		if err := checkPlayURL(url, true); err != nil {
			starting.Discard()
			return err
		}
	}
	s.setURL(url)
	p, err := starting.Wait()
	if err != nil {
		return err
	}
	var runErr error
	if o.headless {
		runErr = s.run(ctx, p, url, seeks, o.duration)
	} else {
		runErr = runPlayerWindow(ctx, p, surface, func(ctx context.Context) error {
			return s.run(ctx, p, url, seeks, o.duration)
		})
	}
	final := p.Status()
	p.Close()

	if o.stats {
		s.fill(final)
		if b != nil {
			// Closing the gateway first settles the counts of its last
			// responses; a remote holder's counts are what it has so far.
			if lb, ok := b.(*localBackend); ok {
				lb.closeGateway()
			}
			if st, err := b.StreamStats(context.Background()); err == nil {
				s.stats.BytesFetched = st.BytesFetched
				s.stats.BlocksFetched = st.BlocksFetched
				s.stats.MaxInflightBlocks = st.MaxInflight
				s.stats.CancelledBlocks = st.CancelledBlocks
				s.stats.Source = map[string]int64{"local": st.BytesLocal, "peers": st.BytesFromPeers, "gateways": st.BytesFromGateways}
				s.stats.Gateways = st.FromGateway
			}
		}
		s.stats.PeakRSSBytes = peakRSS()
		line, _ := json.Marshal(s.stats)
		// The URL and gateway names may come from elsewhere: escaped.
		fmt.Fprintln(c.stdout, string(termsafe.JSON(line)))
	}
	return runErr
}

// findWait bounds the wait for a video's first blocks when --timeout is
// not set, so a CID nobody serves ends in a clear error rather than a
// window that waits forever.
const findWait = 30 * time.Second

// stream resolves t to the gateway URL to play.
func (c *cli) stream(ctx context.Context, b backend, t link.Target) (string, error) {
	if c.g.timeout > 0 {
		return b.Stream(ctx, t)
	}
	fctx, cancel := context.WithTimeout(ctx, findWait)
	defer cancel()
	u, err := b.Stream(fctx, t)
	if err != nil && fctx.Err() != nil && ctx.Err() == nil {
		return "", fmt.Errorf("no peer sent %s within %v (is a node that has it online?): %w", t, findWait, err)
	}
	return u, err
}

// playSession follows one playback: it collects frame and status events
// from the player and lets run wait for conditions on them.
type playSession struct {
	mu      sync.Mutex
	changed chan struct{} // signalled on every event
	clock   frameClock
	st      playback.Status
	// seekBase is the SeekSeq before the pending seek; seekFrame is set
	// when the first frame after it arrived.
	seekBase  uint64
	seekFrame time.Time
	stats     playStats
}

func newPlaySession(start time.Time) *playSession {
	return &playSession{
		changed: make(chan struct{}, 1),
		clock:   frameClock{start: start},
		stats:   playStats{TTFFms: -1, SeekMs: -1, Source: map[string]int64{}},
	}
}

func (s *playSession) signal() {
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

func (s *playSession) frame(f playback.Frame) {
	now := time.Now()
	s.mu.Lock()
	picture := false
	if s.clock.first.IsZero() {
		picture = hasPicture(f.Image)
	}
	s.clock.frame(now, picture)
	if f.SeekSeq > s.seekBase && s.seekFrame.IsZero() {
		s.seekFrame = now
	}
	s.mu.Unlock()
	s.signal()
}

// setURL records what the player plays, for the stats line.
func (s *playSession) setURL(url string) {
	s.mu.Lock()
	s.stats.URL = url
	s.mu.Unlock()
}

func (s *playSession) status(st playback.Status) {
	s.mu.Lock()
	s.st = st
	s.mu.Unlock()
	s.signal()
}

// waitFor waits until cond (called with s.mu held) holds, the player fails
// or ends, ctx ends, or limit passes (0: no limit).
func (s *playSession) waitFor(ctx context.Context, what string, limit time.Duration, cond func() bool) error {
	var deadline <-chan time.Time // none when limit is 0
	if limit > 0 {
		timer := time.NewTimer(limit)
		defer timer.Stop()
		deadline = timer.C
	}
	for {
		s.mu.Lock()
		ok, st, frames := cond(), s.st, s.clock.frames
		s.mu.Unlock()
		if ok {
			return nil
		}
		switch st.State {
		case playback.Error:
			return fmt.Errorf("play: %w", st.Err)
		case playback.Ended:
			if frames == 0 {
				return fmt.Errorf("play: nothing could be shown before the end (a damaged file, or a server that does not answer range requests?)")
			}
			return fmt.Errorf("play: the video ended before %s", what)
		}
		select {
		case <-s.changed:
		case <-ctx.Done():
			return fmt.Errorf("play: waiting for %s: %w", what, ctx.Err())
		case <-deadline:
			return fmt.Errorf("play: no %s within %v", what, limit)
		}
	}
}

// run loads url, waits for the first picture, performs the seeks, then
// plays for d (or to the end).
func (s *playSession) run(ctx context.Context, p *playback.Player, url string, seeks []float64, d time.Duration) error {
	if err := p.Load(ctx, url); err != nil {
		return err
	}
	// The player's own network timeout bounds a video that never arrives;
	// the context bounds the rest (--timeout, Ctrl-C).
	if err := s.waitFor(ctx, "first frame", 0, func() bool { return !s.clock.first.IsZero() }); err != nil {
		return err
	}
	s.mu.Lock()
	s.stats.TTFFms = millis(s.clock.first.Sub(s.clock.start))
	s.mu.Unlock()

	for _, frac := range seeks {
		if err := s.waitFor(ctx, "the duration", seekWait, func() bool { return s.st.Duration > 0 }); err != nil {
			return err
		}
		s.mu.Lock()
		target := frac * s.st.Duration
		s.seekBase = p.Status().SeekSeq
		s.seekFrame = time.Time{}
		asked := time.Now()
		s.clock.resetGaps()
		s.mu.Unlock()
		if err := p.Seek(target); err != nil {
			return err
		}
		if err := s.waitFor(ctx, "frame after the seek", seekWait, func() bool { return !s.seekFrame.IsZero() }); err != nil {
			return err
		}
		s.mu.Lock()
		took := millis(s.seekFrame.Sub(asked))
		s.stats.SeeksMs = append(s.stats.SeeksMs, took)
		if s.stats.SeekMs < 0 {
			s.stats.SeekMs = took
		}
		s.stats.SeekErrorS = append(s.stats.SeekErrorS, p.Status().Position-target)
		s.clock.resetGaps()
		s.mu.Unlock()
	}

	if d <= 0 {
		return s.waitFor(ctx, "the end", 0, func() bool { return s.st.State == playback.Ended })
	}
	stop := time.NewTimer(d)
	defer stop.Stop()
	for {
		select {
		case <-stop.C:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-s.changed:
			switch st := s.Status(); st.State {
			case playback.Ended:
				return nil
			case playback.Error:
				return fmt.Errorf("play: %w", st.Err)
			}
		}
	}
}

// Status is the newest status the player reported.
func (s *playSession) Status() playback.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st
}

// fill copies the frame and final status figures into the stats.
func (s *playSession) fill(final playback.Status) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Frames = s.clock.frames
	s.stats.MaxFrameGapMs = millis(s.clock.maxGap)
	s.stats.DurationS = final.Duration
	s.stats.PositionS = final.Position
	s.stats.State = final.State.String()
	if final.Err != nil {
		s.stats.Error = final.Err.Error()
	}
}
