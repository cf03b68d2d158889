package libraryview

import (
	"bytes"
	"container/list"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // posters are JPEG (video.json) ...
	_ "image/png"  // ... or PNG when a user picked one
	"log/slog"
	"sync"
	"time"

	"github.com/ipfs/go-cid"
	"golang.org/x/image/draw"
)

// Poster decoding limits. Decoded posters are kept downscaled: a tile shows
// 256×144 points, and 384×216 pixels stays sharp at 1.5× display scale
// while a cached poster costs ~330 KB instead of ~8 MB for a 1080p frame.
const (
	posterMaxW, posterMaxH = 384, 216
	// posterCacheSize bounds the decoded posters kept (~42 MB): several
	// screens of tiles, so scrolling back does not fetch again.
	posterCacheSize = 128
	// posterMaxPixels refuses images whose header promises more pixels
	// than a poster ever needs, before decoding allocates them.
	posterMaxPixels = 16 << 20
	// posterWorkers fetch and decode at once: enough to fill a screen
	// quickly, few enough to leave the node's bandwidth to playback.
	posterWorkers = 3
	// posterTimeout bounds one fetch; a poster that does not come in that
	// time stays a placeholder until posterRetryAfter has passed.
	posterTimeout    = 45 * time.Second
	posterRetryAfter = 2 * time.Minute
)

type posterState int

const (
	posterLoading posterState = iota
	posterReady
	posterFailed
)

type posterEntry struct {
	state    posterState
	img      image.Image
	failedAt time.Time
	lru      *list.Element // set while ready
}

// posters fetches, decodes and caches poster images off the UI thread.
// Requests are served newest first and only the latest posterQueueMax are
// kept, so scrolling fast through thousands of videos fetches what is on
// screen now rather than everything scrolled past.
type posters struct {
	fetch   func(context.Context, cid.Cid) ([]byte, error)
	post    func(func())    // runs a function on the UI thread
	onReady func(c cid.Cid) // UI thread: a poster became ready or failed
	log     *slog.Logger

	mu      sync.Mutex
	entries map[string]*posterEntry
	lru     *list.List // of keys of ready posters, most recently shown first
	queue   []cid.Cid  // served from the end
	wake    chan struct{}
}

// posterQueueMax is more tiles than any screen shows at once.
const posterQueueMax = 64

func newPosters(fetch func(context.Context, cid.Cid) ([]byte, error), post func(func()), onReady func(cid.Cid), log *slog.Logger) *posters {
	return &posters{
		fetch:   fetch,
		post:    post,
		onReady: onReady,
		log:     log,
		entries: make(map[string]*posterEntry),
		lru:     list.New(),
		wake:    make(chan struct{}, 1),
	}
}

// start runs the workers until ctx is done.
func (p *posters) start(ctx context.Context, wg *sync.WaitGroup) {
	for range posterWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.work(ctx)
		}()
	}
}

// show returns what to draw for poster c now, queueing a fetch when it is
// neither cached nor failed recently.
func (p *posters) show(c cid.Cid) (image.Image, posterState) {
	if !c.Defined() {
		return nil, posterFailed
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	k := c.KeyString()
	e := p.entries[k]
	switch {
	case e == nil:
	case e.state == posterReady:
		p.lru.MoveToFront(e.lru)
		return e.img, posterReady
	case e.state == posterLoading:
		return nil, posterLoading
	case time.Since(e.failedAt) < posterRetryAfter:
		return nil, posterFailed
	}
	p.entries[k] = &posterEntry{state: posterLoading}
	p.queue = append(p.queue, c)
	if drop := len(p.queue) - posterQueueMax; drop > 0 {
		// Scrolled past before their turn: forgotten, so showing them
		// again queues them again.
		for _, old := range p.queue[:drop] {
			delete(p.entries, old.KeyString())
		}
		p.queue = append(p.queue[:0], p.queue[drop:]...)
	}
	select {
	case p.wake <- struct{}{}:
	default:
	}
	return nil, posterLoading
}

func (p *posters) next() (cid.Cid, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.queue) == 0 {
		return cid.Undef, false
	}
	c := p.queue[len(p.queue)-1]
	p.queue = p.queue[:len(p.queue)-1]
	return c, true
}

func (p *posters) work(ctx context.Context) {
	for {
		c, ok := p.next()
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-p.wake:
				continue
			}
		}
		// Another worker may be idle while this one works: pass the wake
		// on if more is queued.
		p.mu.Lock()
		more := len(p.queue) > 0
		p.mu.Unlock()
		if more {
			select {
			case p.wake <- struct{}{}:
			default:
			}
		}
		img, err := p.load(ctx, c)
		if ctx.Err() != nil {
			return
		}
		p.store(c, img, err)
		p.post(func() { p.onReady(c) })
	}
}

func (p *posters) load(ctx context.Context, c cid.Cid) (image.Image, error) {
	ctx, cancel := context.WithTimeout(ctx, posterTimeout)
	defer cancel()
	b, err := p.fetch(ctx, c)
	if err != nil {
		return nil, err
	}
	return decodePoster(b)
}

func (p *posters) store(c cid.Cid, img image.Image, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := c.KeyString()
	if err != nil {
		p.log.Debug("poster unavailable", "poster", c, "err", err)
		p.entries[k] = &posterEntry{state: posterFailed, failedAt: time.Now()}
		return
	}
	p.entries[k] = &posterEntry{state: posterReady, img: img, lru: p.lru.PushFront(k)}
	for p.lru.Len() > posterCacheSize {
		oldest := p.lru.Back()
		p.lru.Remove(oldest)
		delete(p.entries, oldest.Value.(string))
	}
}

var errPosterTooBig = errors.New("poster image too big")

// decodePoster decodes a JPEG or PNG and shrinks it to fit
// posterMaxW×posterMaxH, keeping its aspect ratio.
func decodePoster(b []byte) (image.Image, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("decode poster: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > posterMaxPixels {
		return nil, fmt.Errorf("decode poster: %w: %d×%d", errPosterTooBig, cfg.Width, cfg.Height)
	}
	src, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("decode poster: %w", err)
	}
	w, h := src.Bounds().Dx(), src.Bounds().Dy()
	scale := min(float64(posterMaxW)/float64(w), float64(posterMaxH)/float64(h))
	if scale >= 1 {
		return src, nil
	}
	dw, dh := max(1, int(float64(w)*scale+0.5)), max(1, int(float64(h)*scale+0.5))
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	// BiLinear widens its kernel when shrinking, so a 5× smaller frame
	// does not shimmer the way point sampling would.
	draw.BiLinear.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Src, nil)
	return dst, nil
}
