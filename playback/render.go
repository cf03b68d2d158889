package playback

import (
	"image"
	"math"
	"sync"
	"sync/atomic"
	"time"

	mpv "github.com/gen2brain/go-mpv"
)

// Frames travel through three buffers so neither side waits for the other:
// the renderer draws into back, then swaps it with ready; the delivery
// goroutine swaps ready with shown and hands shown to the frame function.
// A slow frame function therefore only makes frames be skipped for it; mpv
// and the renderer keep the video's pace.
//
// Seek counting. mpv reports a seek done (playback-restart) once the
// renderer has taken the seek's first frame, so that frame is normally the
// newest one rendered, or the one being rendered. Under load mpv gives up
// waiting for the renderer after a timeout and reports the seek before the
// frame was taken; then an update mpv signalled is still unserved, and the
// count goes to the frame that the next render produces instead.
type frames struct {
	wake    chan struct{} // to the renderer: mpv has a frame, or redraw
	deliver chan struct{} // to the delivery goroutine
	sized   chan struct{} // to a renderer waiting for the video size

	position atomic.Uint64 // float64 bits: the playhead for Frame.Position
	updates  atomic.Uint64 // mpv update callbacks so far

	mu           sync.Mutex
	surfaceW     int
	surfaceH     int
	videoW       int
	videoH       int
	redraw       bool
	back, ready  *image.RGBA
	shown        *image.RGBA
	readyMeta    Frame
	readyPending bool
	shownMeta    Frame
	haveShown    bool
	redeliver    bool
	seq          uint64
	seeksDone    uint64

	// Renderer bookkeeping for seek counting: gen numbers the renderer's
	// passes, seen is the update count its current pass looked at, busy is
	// set from its call to mpv's update to the end of its render.
	gen  uint64
	seen uint64
	busy bool
	// awaiting: a seek completed while an update was unserved; passes up to
	// deferGen keep the count prevSeeks.
	awaiting  bool
	deferGen  uint64
	prevSeeks uint64
}

func (f *frames) init() {
	f.wake = make(chan struct{}, 1)
	f.deliver = make(chan struct{}, 1)
	f.sized = make(chan struct{}, 1)
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// wakeRenderer is mpv's render update callback: it runs on an mpv thread
// where calling mpv is forbidden, so it only counts and signals.
func (f *frames) wakeRenderer() {
	f.updates.Add(1)
	signal(f.wake)
}

func (f *frames) setPosition(v float64) { f.position.Store(math.Float64bits(v)) }

func (f *frames) setVideoSize(w, h int) {
	f.mu.Lock()
	f.videoW, f.videoH = w, h
	f.mu.Unlock()
	if w > 0 && h > 0 {
		signal(f.sized)
	}
}

// setProvisionalSize sets the video size from the container, unless mpv's
// display size is known already.
func (f *frames) setProvisionalSize(w, h int) {
	f.mu.Lock()
	known := f.videoW > 0 && f.videoH > 0
	f.mu.Unlock()
	if !known {
		f.setVideoSize(w, h)
	}
}

func (f *frames) setSurface(w, h int) {
	f.mu.Lock()
	f.surfaceW, f.surfaceH = w, h
	f.redraw = true
	f.mu.Unlock()
	signal(f.wake)
}

// targetSize is the size to render at, 0×0 while the video size is unknown.
func (f *frames) targetSize() (w, h int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.surfaceW > 0 {
		return f.surfaceW, f.surfaceH
	}
	if f.videoW <= 0 || f.videoH <= 0 {
		return 0, 0
	}
	return f.videoW, f.videoH
}

// sizeWait bounds how long a frame waits for the event loop to learn the
// video size from the file-loaded event, which races with the first frame.
// (mpv's own display size comes only after that frame is drawn, so waiting
// for it would stall mpv until its render timeout.)
const sizeWait = 100 * time.Millisecond

// renderLoop renders on mpv's request. Per mpv's render API rules it calls
// no libmpv function other than the render context's and never waits for a
// goroutine that does, except the bounded wait for the video size.
func (p *Player) renderLoop() {
	defer close(p.renderDone)
	scratch := make([]byte, 4*4)
	for {
		select {
		case <-p.quit:
			return
		case <-p.fr.wake:
		}
		gen, redraw := p.fr.beginPass()
		if p.rc.Update()&mpv.RenderUpdateFrame == 0 && !redraw {
			p.fr.endPass(gen, false)
			continue
		}
		w, h := p.fr.targetSize()
		if w == 0 {
			select {
			case <-p.fr.sized:
			case <-time.After(sizeWait):
			case <-p.quit:
				return
			}
			w, h = p.fr.targetSize()
		}
		if w == 0 {
			// mpv waits for every frame it hands out to be rendered; keep it
			// moving, there is nothing to show.
			if err := p.rc.RenderSW(2, 2, 8, "rgb0", scratch); err != nil {
				p.log.Debug("render", "err", err)
			}
			p.fr.endPass(gen, false)
			continue
		}
		img := p.fr.backBuffer(w, h)
		if err := p.rc.RenderSW(w, h, img.Stride, "rgb0", img.Pix); err != nil {
			p.log.Warn("render", "err", err, "width", w, "height", h)
			p.fr.endPass(gen, false)
			continue
		}
		opaque(img.Pix)
		p.fr.endPass(gen, true)
	}
}

// beginPass starts a renderer pass, before it asks mpv for a frame.
func (f *frames) beginPass() (gen uint64, redraw bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gen++
	f.seen = f.updates.Load()
	f.busy = true
	redraw = f.redraw && f.haveShown
	f.redraw = false
	return f.gen, redraw
}

// backBuffer returns the back buffer at w×h.
func (f *frames) backBuffer(w, h int) *image.RGBA {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.back == nil || f.back.Rect.Dx() != w || f.back.Rect.Dy() != h {
		f.back = image.NewRGBA(image.Rect(0, 0, w, h))
	}
	return f.back
}

// endPass ends a renderer pass; rendered says whether the back buffer holds
// a new frame, which it then publishes as the newest.
func (f *frames) endPass(gen uint64, rendered bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.busy = false
	seeks := f.seeksDone
	if f.awaiting {
		if gen <= f.deferGen {
			// Began before the update that carries the seek's frame.
			seeks = f.prevSeeks
		} else {
			f.awaiting = false
			if !rendered {
				// mpv had no new frame after all: the seek's frame was the
				// newest one already.
				f.stampNewest()
			}
		}
	}
	if !rendered {
		return
	}
	f.seq++
	f.back, f.ready = f.ready, f.back
	f.readyMeta = Frame{
		Position: math.Float64frombits(f.position.Load()),
		Seq:      f.seq,
		SeekSeq:  seeks,
	}
	f.readyPending = true
	signal(f.deliver)
}

// seekCompleted records that done seeks have completed (see frames).
func (f *frames) seekCompleted(done uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	prev := f.seeksDone
	f.seeksDone = done
	switch {
	case f.updates.Load() != f.seen:
		if !f.awaiting {
			f.prevSeeks = prev
		}
		f.awaiting = true
		f.deferGen = f.gen
	case f.busy:
		// The pass under way took the seek's frame; endPass stamps it.
	default:
		f.stampNewest()
	}
}

// stampNewest gives the newest rendered frame the current seek count,
// delivering it again if it was delivered already. Called with mu held.
func (f *frames) stampNewest() {
	switch {
	case f.readyPending:
		f.readyMeta.SeekSeq = f.seeksDone
	case f.haveShown:
		f.redeliver = true
	default:
		return
	}
	signal(f.deliver)
}

// next returns the frame to hand to the frame function, if any.
func (f *frames) next() (Frame, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.readyPending:
		f.shown, f.ready = f.ready, f.shown
		f.shownMeta = f.readyMeta
		f.readyPending, f.redeliver, f.haveShown = false, false, true
	case f.redeliver:
		f.redeliver = false
		f.shownMeta.SeekSeq = f.seeksDone
	default:
		return Frame{}, false
	}
	fr := f.shownMeta
	fr.Image = f.shown
	return fr, true
}

func (p *Player) deliverFrames() {
	for {
		select {
		case <-p.quit:
			return
		case <-p.fr.deliver:
		}
		if fr, ok := p.fr.next(); ok {
			p.cfg.onFrame(fr)
		}
	}
}

// opaque sets the alpha bytes: mpv's rgb0 leaves the fourth byte undefined.
func opaque(pix []byte) {
	for i := 3; i < len(pix); i += 4 {
		pix[i] = 0xff
	}
}
