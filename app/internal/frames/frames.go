// Package frames hands video frames from the player's frame goroutine to
// the UI thread, keeping only the newest.
//
// The player renders faster than a window may draw, and it reuses its
// buffer as soon as its frame callback returns. Latest copies each frame
// into a buffer of its own and keeps at most one waiting to be drawn: a
// newer frame replaces it, so a slow window drops frames instead of
// queueing them. Only the first frame offered since the last draw asks the
// caller to schedule one, so at most one draw is ever queued on the UI
// thread.
//
// Buffers are reused: the frame a draw takes off the screen comes back
// with Recycle and the next Offer copies into it, so playing allocates
// only when the frame size changes. Three buffers are in use at the most:
// the one on screen, the one waiting, and a spare.
//
// # Usage
//
//	var latest frames.Latest
//	// on the player's frame goroutine:
//	if latest.Offer(f.Image) {
//		fyne.Do(draw)
//	}
//	// draw, on the UI thread:
//	if frame := latest.Take(); frame != nil {
//		old := img.Image.(*image.RGBA)
//		img.Image = frame
//		img.Refresh()
//		latest.Recycle(old)
//	}
package frames

import (
	"image"
	"sync"
)

// Latest is the newest frame not yet drawn and the buffers around it. The
// zero value is ready to use. Offer may run on any goroutine; Take,
// Recycle and Reset belong to the goroutine that draws.
type Latest struct {
	mu      sync.Mutex
	pending *image.RGBA // newest frame not yet taken; owned by Latest
	spare   *image.RGBA // a buffer no one shows, for the next copy
	queued  bool        // a draw is scheduled and will take pending
}

// Offer copies f, which the caller may reuse once Offer returns, and
// reports whether the caller must schedule a draw: only the first frame
// since the last Take does; later ones replace the waiting frame, which
// the scheduled draw will take.
func (l *Latest) Offer(f *image.RGBA) (schedule bool) {
	l.mu.Lock()
	buf := l.spare
	l.spare = nil
	l.mu.Unlock()
	// Copy outside the lock: a 1080p frame takes milliseconds, and the UI
	// thread's Take must not wait for it. The spare is ours alone now.
	if buf == nil || buf.Rect != f.Rect {
		buf = image.NewRGBA(f.Rect)
	}
	copyPixels(buf, f)

	l.mu.Lock()
	defer l.mu.Unlock()
	if l.pending != nil && l.spare == nil {
		// The waiting frame was never drawn: its buffer is the next spare.
		l.spare = l.pending
	}
	l.pending = buf
	if l.queued {
		return false
	}
	l.queued = true
	return true
}

// Take returns the newest frame for the UI thread to show, or nil when
// there is none, and ends the scheduled draw: the next Offer schedules
// another. The frame is the caller's until it hands it back with Recycle.
func (l *Latest) Take() *image.RGBA {
	l.mu.Lock()
	defer l.mu.Unlock()
	frame := l.pending
	l.pending = nil
	l.queued = false
	return frame
}

// Recycle hands back a frame the UI no longer shows, so the next Offer
// copies into it. nil is ignored, and so is a buffer when a spare is
// already kept.
func (l *Latest) Recycle(old *image.RGBA) {
	if old == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.spare == nil {
		l.spare = old
	}
}

// Reset drops the waiting frame and the spare, when what was shown is
// cleared; a draw already scheduled finds nothing to take.
func (l *Latest) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pending, l.spare = nil, nil
}

// copyPixels copies src into dst, which has src's bounds and a tight
// stride; src may come with a wider stride (a sub-image, a padded
// renderer buffer).
func copyPixels(dst, src *image.RGBA) {
	row := 4 * src.Rect.Dx()
	if src.Stride == dst.Stride {
		copy(dst.Pix, src.Pix)
		return
	}
	for y := 0; y < src.Rect.Dy(); y++ {
		copy(dst.Pix[y*dst.Stride:y*dst.Stride+row], src.Pix[y*src.Stride:y*src.Stride+row])
	}
}
