package libraryview

import (
	"context"
	"fmt"
	"sync"
	"time"

	"fyne.io/fyne/v2/theme"
	"github.com/ipfs/go-cid"

	"github.com/ipfs-tube/ipfs-tube/library"
)

// Providers counts the other nodes that provide a video, for the user's
// own uploads. The app asks the node's DHT.
type Providers interface {
	// CountProviders counts nodes other than this one that provide c,
	// stopping at max; a lookup cut short may return a partial count with
	// its error.
	CountProviders(ctx context.Context, c cid.Cid, max int) (int, error)
}

const (
	// DefaultProviderRefresh is how often an upload's count is looked up
	// again: copies come and go over hours, and a DHT lookup costs dozens
	// of messages.
	DefaultProviderRefresh = 10 * time.Minute
	// maxProviders is where counting stops: past it an upload is well
	// kept, and the badge says "8+".
	maxProviders = 8
	// providerLookups bounds lookups at once; providerTimeout bounds one.
	providerLookups = 4
	providerTimeout = 30 * time.Second
)

// WithProviders shows, on each of the user's own uploads, how many other
// nodes provide it (see the package doc); without it no count is shown.
func WithProviders(p Providers) Option { return func(c *config) { c.providers = p } }

// WithProviderRefresh changes DefaultProviderRefresh.
func WithProviderRefresh(d time.Duration) Option { return func(c *config) { c.providerRefresh = d } }

// providerCount is what the view knows of one upload's copies.
type providerCount struct {
	n        int
	known    bool      // a lookup has answered
	at       time.Time // when it answered
	counting bool      // a lookup is under way
}

// providerCounts is the cache the provider loop fills and tiles read. The
// loop never holds mu while it waits on the network.
type providerCounts struct {
	mu     sync.Mutex
	counts map[string]providerCount // by video KeyString
	asked  map[string]bool          // counts the user asked for now
	kick   chan struct{}            // capacity 1: "look again"
}

func newProviderCounts() *providerCounts {
	return &providerCounts{counts: map[string]providerCount{}, asked: map[string]bool{}, kick: make(chan struct{}, 1)}
}

func (p *providerCounts) get(c cid.Cid) providerCount {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts[c.KeyString()]
}

// wake has the loop look again: for new uploads, or for those asked now.
func (p *providerCounts) wake(now ...cid.Cid) {
	p.mu.Lock()
	for _, c := range now {
		p.asked[c.KeyString()] = true
	}
	p.mu.Unlock()
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// unseen reports whether video is an own upload never looked up: a new
// upload, whose count should not wait for the next refresh.
func (p *providerCounts) unseen(video library.Video) bool {
	if !video.Kept.Has(library.OwnUpload) {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.counts[video.Cid.KeyString()]
	return !ok
}

// due takes the uploads to look up now: never counted, counted longer
// than refresh ago, or asked for; they are marked counting.
func (p *providerCounts) due(uploads []library.Video, refresh time.Duration, now time.Time) []library.Video {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []library.Video
	for _, v := range uploads {
		k := v.Cid.KeyString()
		pc := p.counts[k]
		if pc.counting || (pc.known && now.Sub(pc.at) < refresh && !p.asked[k]) {
			continue
		}
		delete(p.asked, k)
		pc.counting = true
		p.counts[k] = pc
		out = append(out, v)
	}
	return out
}

// done records a lookup's answer; a failed lookup with nothing counted
// keeps the last known count.
func (p *providerCounts) done(c cid.Cid, n int, err error, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := c.KeyString()
	pc := p.counts[k]
	pc.counting = false
	if err == nil || n > 0 {
		pc.n, pc.known, pc.at = n, true, now
	}
	p.counts[k] = pc
}

// providerLoop looks up the counts of the user's own uploads: at start,
// every refresh interval, when the catalog changes (a new upload) and
// when the user asks. Lookups run here, never on the UI thread; each
// answer redraws its tiles through post.
func (v *View) providerLoop() {
	defer v.wg.Done()
	t := time.NewTicker(max(v.cfg.providerRefresh/4, time.Millisecond))
	defer t.Stop()
	sem := make(chan struct{}, providerLookups)
	var lookups sync.WaitGroup
	defer lookups.Wait()
	for {
		ctx, cancel := context.WithTimeout(v.ctx, queryTimeout)
		page, err := v.cat.List(ctx, library.ListOptions{Kept: library.OwnUpload})
		cancel()
		if err != nil && v.ctx.Err() == nil {
			v.log.Debug("listing own uploads for provider counts", "err", err)
		}
		for _, video := range v.provs.due(page.Videos, v.cfg.providerRefresh, time.Now()) {
			select {
			case sem <- struct{}{}:
			case <-v.ctx.Done():
				v.provs.done(video.Cid, 0, v.ctx.Err(), time.Now())
				continue
			}
			lookups.Add(1)
			go func() {
				defer lookups.Done()
				defer func() { <-sem }()
				v.post(func() { v.refreshTiles(video.Cid) }) // "Counting…"
				ctx, cancel := context.WithTimeout(v.ctx, providerTimeout)
				n, err := v.cfg.providers.CountProviders(ctx, video.Cid, maxProviders)
				cancel()
				if err != nil && v.ctx.Err() == nil {
					v.log.Info("counting an upload's providers", "video", video.Cid, "found", n, "err", err)
				}
				v.provs.done(video.Cid, n, err, time.Now())
				v.post(func() { v.refreshTiles(video.Cid) })
			}()
		}
		select {
		case <-v.ctx.Done():
			return
		case <-t.C:
		case <-v.provs.kick:
		}
	}
}

// providerBadge says how many other nodes keep an own upload, in words
// short enough for a third chip: "+3 copies", "Only here" (in the error colour, apart from "Your upload"'s:
// if this computer goes, so does the video), "Counting…" before the
// first answer; none for other videos, or when no lookup has answered
// and none runs (the node is offline).
func (v *View) providerBadge(video library.Video) (badge, bool) {
	if v.cfg.providers == nil || !video.Kept.Has(library.OwnUpload) {
		return badge{}, false
	}
	pc := v.provs.get(video.Cid)
	switch {
	case !pc.known && pc.counting:
		return badge{"Counting…", ""}, true
	case !pc.known:
		return badge{}, false
	case pc.n == 0:
		return badge{"Only here", theme.ColorNameError}, true
	case pc.n == 1:
		return badge{"+1 copy", theme.ColorNameSuccess}, true
	}
	// Counting stops at maxProviders: "+8 copies" means 8 or more.
	return badge{fmt.Sprintf("+%d copies", min(pc.n, maxProviders)), theme.ColorNameSuccess}, true
}
