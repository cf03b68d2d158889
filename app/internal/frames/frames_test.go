package frames

import (
	"encoding/binary"
	"image"
	"sync"
	"testing"
)

// frame returns a w×h frame whose every byte is v.
func frame(w, h int, v byte) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = v
	}
	return img
}

// uniform reports the value every byte of img has, or false.
func uniform(img *image.RGBA) (byte, bool) {
	v := img.Pix[0]
	for _, b := range img.Pix {
		if b != v {
			return 0, false
		}
	}
	return v, true
}

func wantValue(t *testing.T, what string, img *image.RGBA, want byte) {
	t.Helper()
	if img == nil {
		t.Fatalf("%s: no frame", what)
	}
	if v, ok := uniform(img); !ok || v != want {
		t.Fatalf("%s: frame of value %d (uniform %v), want %d", what, v, ok, want)
	}
}

func TestOnlyFirstFrameSchedulesDraw(t *testing.T) {
	var l Latest
	if l.Take() != nil {
		t.Fatal("Take gave a frame before any was offered")
	}
	steps := []struct {
		offer    byte
		schedule bool
	}{
		{1, true},  // nothing queued: the caller schedules a draw
		{2, false}, // the queued draw will take this one
		{3, false}, // and this one replaces it
	}
	for _, s := range steps {
		if got := l.Offer(frame(4, 2, s.offer)); got != s.schedule {
			t.Errorf("Offer(%d) schedule = %v, want %v", s.offer, got, s.schedule)
		}
	}
	wantValue(t, "the draw", l.Take(), 3)
	if l.Take() != nil {
		t.Error("a second Take gave a frame: each frame is drawn once")
	}
	if !l.Offer(frame(4, 2, 4)) {
		t.Error("the first frame after a draw did not schedule one")
	}
}

func TestOfferCopies(t *testing.T) {
	var l Latest
	src := frame(4, 2, 7)
	l.Offer(src)
	// The player reuses its buffer once the frame callback returns.
	for i := range src.Pix {
		src.Pix[i] = 9
	}
	got := l.Take()
	wantValue(t, "after the player reused its buffer", got, 7)
	if &got.Pix[0] == &src.Pix[0] {
		t.Error("Take handed out the player's own buffer")
	}
}

func TestBuffersAreReused(t *testing.T) {
	var l Latest
	src := frame(64, 36, 1)
	l.Offer(src)
	shown := l.Take()
	l.Offer(src)
	next := l.Take()
	l.Recycle(shown) // next replaced shown on screen
	l.Offer(src)
	if got := l.Take(); got != shown {
		t.Error("the recycled buffer was not copied into")
	}

	// An undrawn frame's buffer is the next copy's.
	l.Offer(frame(64, 36, 2))
	l.Offer(frame(64, 36, 3))
	l.Offer(frame(64, 36, 4))
	wantValue(t, "newest of three", l.Take(), 4)

	// Playing at a steady size allocates nothing: show, recycle, repeat.
	onScreen := next
	allocs := testing.AllocsPerRun(100, func() {
		l.Offer(src)
		f := l.Take()
		l.Recycle(onScreen)
		onScreen = f
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per frame at a steady size, want 0", allocs)
	}
}

func TestSizeChangeAllocates(t *testing.T) {
	var l Latest
	l.Offer(frame(4, 2, 1))
	small := l.Take()
	l.Recycle(small)
	l.Offer(frame(8, 6, 2))
	big := l.Take()
	if big.Rect != image.Rect(0, 0, 8, 6) || len(big.Pix) != 8*6*4 {
		t.Fatalf("after a resize the frame is %v with %d bytes", big.Rect, len(big.Pix))
	}
	wantValue(t, "resized", big, 2)
}

func TestResetDropsWaitingFrame(t *testing.T) {
	var l Latest
	l.Offer(frame(4, 2, 1))
	l.Recycle(frame(4, 2, 0))
	l.Reset()
	if l.Take() != nil {
		t.Error("Take gave a frame offered before Reset")
	}
}

func TestWideStrideSource(t *testing.T) {
	parent := frame(10, 4, 0)
	inner := image.Rect(2, 1, 6, 3)
	for y := inner.Min.Y; y < inner.Max.Y; y++ {
		for x := inner.Min.X; x < inner.Max.X; x++ {
			i := parent.PixOffset(x, y)
			copy(parent.Pix[i:i+4], []byte{5, 5, 5, 5})
		}
	}
	var l Latest
	l.Offer(parent.SubImage(inner).(*image.RGBA))
	got := l.Take()
	if got.Rect != inner {
		t.Fatalf("bounds %v, want %v", got.Rect, inner)
	}
	wantValue(t, "sub-image", got, 5)
}

// TestConcurrentOfferAndDraw runs a player goroutine against a drawing
// one, as the window does: every drawn frame must be whole (no copy went
// into a buffer on screen), newer than the one before, and the last frame
// offered must be drawn.
func TestConcurrentOfferAndDraw(t *testing.T) {
	const frames = 2000
	var l Latest
	draws := make(chan struct{}, 1)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(draws)
		src := image.NewRGBA(image.Rect(0, 0, 32, 18))
		for i := uint32(1); i <= frames; i++ {
			for p := 0; p < len(src.Pix); p += 4 {
				binary.BigEndian.PutUint32(src.Pix[p:], i)
			}
			if l.Offer(src) {
				draws <- struct{}{}
			}
		}
	}()

	var onScreen *image.RGBA
	last, drawn := uint32(0), 0
	for range draws {
		f := l.Take()
		if f == nil {
			continue
		}
		seq := binary.BigEndian.Uint32(f.Pix)
		for p := 0; p < len(f.Pix); p += 4 {
			if binary.BigEndian.Uint32(f.Pix[p:]) != seq {
				t.Fatalf("draw %d: torn frame (%d and %d)", drawn, seq, binary.BigEndian.Uint32(f.Pix[p:]))
			}
		}
		if seq <= last {
			t.Fatalf("draw %d: frame %d after frame %d", drawn, seq, last)
		}
		last = seq
		drawn++
		l.Recycle(onScreen)
		onScreen = f
	}
	wg.Wait()
	if last != frames {
		t.Errorf("the last frame drawn is %d, want the last offered (%d)", last, frames)
	}
	if l.Take() != nil {
		t.Error("a frame was left waiting with no draw scheduled")
	}
	t.Logf("%d of %d frames drawn", drawn, frames)
}
