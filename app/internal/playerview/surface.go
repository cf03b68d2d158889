package playerview

import (
	"image"
	"image/color"
	"sync/atomic"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfs-tube/ipfs-tube/app/internal/frames"
	"github.com/ipfs-tube/ipfs-tube/playback"
)

// surface is the video area: a black backdrop and the newest frame. The
// player renders frames at the surface's own pixel size (letterboxed by
// playback), so the picture is scaled once, by mpv, not again by Fyne;
// ImageFillContain only matters for the frames rendered before a resize
// reached the player.
type surface struct {
	widget.BaseWidget

	img      *canvas.Image
	backdrop *canvas.Rectangle

	// onResize gets the new size in pixels; onTap and onDoubleTap are the
	// viewer clicking the picture.
	onResize    func(w, h int)
	onTap       func()
	onDoubleTap func()

	// latest hands frames from the player's frame goroutine to the UI
	// thread.
	latest frames.Latest
	shown  atomic.Uint64 // frames put on screen, for Status
	lastPx [2]int
}

// blank is shown when nothing plays: one black pixel, stretched.
var blank = func() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, 1, 1))
	img.Pix[3] = 0xff
	return img
}()

func newSurface() *surface {
	s := &surface{
		img:      canvas.NewImageFromImage(blank),
		backdrop: canvas.NewRectangle(color.Black),
	}
	s.img.FillMode = canvas.ImageFillContain
	// Frames already come at the surface's pixel size: smoothing would
	// only cost time.
	s.img.ScaleMode = canvas.ImageScaleFastest
	s.ExtendBaseWidget(s)
	return s
}

// offer copies f (the player reuses its buffer) and reports whether the
// caller must schedule draw: only the first frame since the last draw
// does, later ones just replace the pending frame.
func (s *surface) offer(f playback.Frame) (schedule bool) { return s.latest.Offer(f.Image) }

// draw puts the newest frame up; UI thread only.
func (s *surface) draw() {
	frame := s.latest.Take()
	if frame == nil {
		return
	}
	old, _ := s.img.Image.(*image.RGBA)
	s.img.Image = frame
	if frame.Rect.Dx() == s.lastPx[0] && frame.Rect.Dy() == s.lastPx[1] {
		// The frame covers the surface (mpv letterboxes into it): drawing
		// the backdrop under it too would only cost fill rate, which a
		// software OpenGL pays on the CPU for every frame.
		s.backdrop.Hide()
	} else {
		s.backdrop.Show()
	}
	s.img.Refresh()
	s.shown.Add(1)
	if old != blank {
		s.latest.Recycle(old)
	}
}

// clear drops the picture; UI thread only.
func (s *surface) clear() {
	s.latest.Reset()
	s.img.Image = blank
	s.backdrop.Show()
	s.img.Refresh()
}

// shownFrames counts frames drawn so far.
func (s *surface) shownFrames() uint64 { return s.shown.Load() }

// picture returns the image on screen; UI thread only.
func (s *surface) picture() image.Image { return s.img.Image }

func (s *surface) Resize(size fyne.Size) {
	s.BaseWidget.Resize(size)
	scale := float32(1)
	if c := fyne.CurrentApp().Driver().CanvasForObject(s); c != nil {
		scale = c.Scale()
	}
	w, h := int(size.Width*scale+0.5), int(size.Height*scale+0.5)
	// Even sizes keep mpv's scaler from a half-pixel border.
	w, h = w&^1, h&^1
	if w < 2 || h < 2 || [2]int{w, h} == s.lastPx {
		return
	}
	s.lastPx = [2]int{w, h}
	if s.onResize != nil {
		s.onResize(w, h)
	}
}

// pixelSize is the size frames should have, 0×0 before the first layout.
func (s *surface) pixelSize() (int, int) { return s.lastPx[0], s.lastPx[1] }

func (s *surface) Tapped(*fyne.PointEvent) {
	if s.onTap != nil {
		s.onTap()
	}
}

func (s *surface) DoubleTapped(*fyne.PointEvent) {
	if s.onDoubleTap != nil {
		s.onDoubleTap()
	}
}

func (s *surface) MinSize() fyne.Size { return fyne.NewSize(160, 90) }

func (s *surface) CreateRenderer() fyne.WidgetRenderer {
	return &surfaceRenderer{s: s, objs: []fyne.CanvasObject{s.backdrop, s.img}}
}

type surfaceRenderer struct {
	s    *surface
	objs []fyne.CanvasObject
}

func (r *surfaceRenderer) Layout(size fyne.Size) {
	for _, o := range r.objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}
func (r *surfaceRenderer) MinSize() fyne.Size           { return r.s.MinSize() }
func (r *surfaceRenderer) Refresh()                     { r.s.img.Refresh() }
func (r *surfaceRenderer) Objects() []fyne.CanvasObject { return r.objs }
func (r *surfaceRenderer) Destroy()                     {}
