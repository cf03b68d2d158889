package playerview

import (
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfs-tube/ipfs-tube/app/internal/ui"
)

// span is a part of the video as fractions of its length, [from, to).
type span struct{ from, to float64 }

// seekBar shows the played part of the video, the parts already on this
// machine and a thumb; tapping or dragging it asks for a seek. It is only
// touched on the UI thread.
type seekBar struct {
	widget.BaseWidget

	duration time.Duration
	position time.Duration
	local    []span
	enabled  bool

	// While dragging, the thumb follows the pointer instead of the player,
	// which would otherwise pull it back until the seek lands.
	dragging bool
	dragFrac float64
	// hoverX is the pointer's x while it is over the bar (<0 outside), for
	// the time bubble.
	hoverX float32

	onSeek func(fraction float64)
}

func newSeekBar(onSeek func(fraction float64)) *seekBar {
	b := &seekBar{onSeek: onSeek, hoverX: -1}
	b.ExtendBaseWidget(b)
	return b
}

// set updates what the bar shows; it redraws only on a visible change.
func (b *seekBar) set(position, duration time.Duration, local []span, enabled bool) {
	if b.position == position && b.duration == duration && sameSpans(b.local, local) && b.enabled == enabled {
		return
	}
	b.position, b.duration, b.local, b.enabled = position, duration, local, enabled
	b.Refresh()
}

func sameSpans(a, b []span) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// fraction is the share of the video the thumb marks.
func (b *seekBar) fraction() float64 {
	if b.dragging {
		return b.dragFrac
	}
	if b.duration <= 0 {
		return 0
	}
	return clamp01(float64(b.position) / float64(b.duration))
}

func clamp01(f float64) float64 { return min(1, max(0, f)) }

// trackInset keeps the thumb inside the widget at both ends.
func (b *seekBar) trackInset() float32 { return theme.Padding() + thumbRadius }

const (
	thumbRadius = 7
	trackHeight = 5
)

// fractionAt maps a pointer x to a share of the video.
func (b *seekBar) fractionAt(x float32) float64 {
	inset := b.trackInset()
	w := b.Size().Width - 2*inset
	if w <= 0 {
		return 0
	}
	return clamp01(float64((x - inset) / w))
}

func (b *seekBar) Tapped(e *fyne.PointEvent) {
	if !b.enabled || b.duration <= 0 {
		return
	}
	f := b.fractionAt(e.Position.X)
	// Show the new position at once; the player confirms it shortly.
	b.position = time.Duration(f * float64(b.duration))
	b.Refresh()
	if b.onSeek != nil {
		b.onSeek(f)
	}
}

func (b *seekBar) Dragged(e *fyne.DragEvent) {
	if !b.enabled || b.duration <= 0 {
		return
	}
	b.dragging = true
	b.dragFrac = b.fractionAt(e.Position.X)
	b.hoverX = e.Position.X
	b.Refresh()
}

func (b *seekBar) DragEnd() {
	if !b.dragging {
		return
	}
	b.dragging = false
	f := b.dragFrac
	b.position = time.Duration(f * float64(b.duration))
	b.Refresh()
	if b.onSeek != nil {
		b.onSeek(f)
	}
}

func (b *seekBar) MouseIn(e *desktop.MouseEvent)    { b.MouseMoved(e) }
func (b *seekBar) MouseMoved(e *desktop.MouseEvent) { b.hoverX = e.Position.X; b.Refresh() }
func (b *seekBar) MouseOut()                        { b.hoverX = -1; b.Refresh() }

// Cursor shows the hand, telling the viewer the bar can be clicked.
func (b *seekBar) Cursor() desktop.Cursor {
	if b.enabled {
		return desktop.PointerCursor
	}
	return desktop.DefaultCursor
}

func (b *seekBar) MinSize() fyne.Size {
	b.ExtendBaseWidget(b)
	return fyne.NewSize(4*thumbRadius, 2*thumbRadius+2*theme.Padding())
}

func (b *seekBar) CreateRenderer() fyne.WidgetRenderer {
	r := &seekBarRenderer{
		bar:      b,
		track:    canvas.NewRectangle(color.Transparent),
		played:   canvas.NewRectangle(color.Transparent),
		thumb:    canvas.NewCircle(color.Transparent),
		bubble:   canvas.NewRectangle(color.Transparent),
		bubbleAt: canvas.NewText("", color.White),
	}
	r.track.CornerRadius = trackHeight / 2
	r.played.CornerRadius = trackHeight / 2
	r.bubble.CornerRadius = 4
	r.bubbleAt.TextSize = theme.CaptionTextSize()
	r.bubbleAt.TextStyle.Monospace = true
	r.Refresh()
	return r
}

type seekBarRenderer struct {
	bar      *seekBar
	track    *canvas.Rectangle
	local    []*canvas.Rectangle // one per span, reused
	played   *canvas.Rectangle
	thumb    *canvas.Circle
	bubble   *canvas.Rectangle
	bubbleAt *canvas.Text
}

func (r *seekBarRenderer) Destroy() {}

func (r *seekBarRenderer) MinSize() fyne.Size { return r.bar.MinSize() }

func (r *seekBarRenderer) Objects() []fyne.CanvasObject {
	objs := []fyne.CanvasObject{r.track}
	for _, l := range r.local {
		objs = append(objs, l)
	}
	return append(objs, r.played, r.thumb, r.bubble, r.bubbleAt)
}

func (r *seekBarRenderer) Refresh() {
	b := r.bar
	th, variant := b.Theme(), fyne.CurrentApp().Settings().ThemeVariant()
	primary := th.Color(theme.ColorNamePrimary, variant)
	fg := th.Color(theme.ColorNameForeground, variant)
	r.track.FillColor = withAlpha(fg, 0x30)
	localColor := withAlpha(fg, 0x70)
	for len(r.local) < len(b.local) {
		rect := canvas.NewRectangle(localColor)
		rect.CornerRadius = trackHeight / 2
		r.local = append(r.local, rect)
	}
	r.local = r.local[:len(b.local)]
	for _, l := range r.local {
		l.FillColor = localColor
	}
	r.played.FillColor = primary
	r.thumb.FillColor = primary
	if !b.enabled {
		r.played.FillColor = withAlpha(fg, 0x50)
		r.thumb.FillColor = color.Transparent
	}
	r.bubble.FillColor = color.NRGBA{0x10, 0x10, 0x10, 0xe0}
	r.bubbleAt.Color = color.White
	r.Layout(b.Size())
	canvas.Refresh(b)
}

func (r *seekBarRenderer) Layout(size fyne.Size) {
	b := r.bar
	inset := b.trackInset()
	w := max(0, size.Width-2*inset)
	y := (size.Height - trackHeight) / 2
	r.track.Move(fyne.NewPos(inset, y))
	r.track.Resize(fyne.NewSize(w, trackHeight))
	for i, s := range b.local {
		if i >= len(r.local) {
			break
		}
		x0 := inset + float32(clamp01(s.from))*w
		x1 := inset + float32(clamp01(s.to))*w
		r.local[i].Move(fyne.NewPos(x0, y))
		r.local[i].Resize(fyne.NewSize(max(x1-x0, 1), trackHeight))
	}
	px := float32(b.fraction()) * w
	r.played.Move(fyne.NewPos(inset, y))
	r.played.Resize(fyne.NewSize(px, trackHeight))
	radius := float32(thumbRadius)
	if b.hoverX < 0 && !b.dragging {
		radius = thumbRadius - 2 // grows under the pointer, as players do
	}
	cx, cy := inset+px, size.Height/2
	r.thumb.Move(fyne.NewPos(cx-radius, cy-radius))
	r.thumb.Resize(fyne.NewSize(2*radius, 2*radius))

	// The bubble floats above the bar (over the video), showing the time
	// under the pointer.
	show := b.enabled && b.duration > 0 && (b.hoverX >= 0 || b.dragging)
	r.bubble.Hidden, r.bubbleAt.Hidden = !show, !show
	if !show {
		return
	}
	f := b.fractionAt(b.hoverX)
	if b.dragging {
		f = b.dragFrac
	}
	r.bubbleAt.Text = ui.Clock(time.Duration(f * float64(b.duration)))
	ts := r.bubbleAt.MinSize()
	pad := theme.Padding()
	bw, bh := ts.Width+2*pad, ts.Height+pad
	bx := min(max(inset+float32(f)*w-bw/2, 0), max(size.Width-bw, 0))
	by := -bh - pad/2
	r.bubble.Move(fyne.NewPos(bx, by))
	r.bubble.Resize(fyne.NewSize(bw, bh))
	r.bubbleAt.Move(fyne.NewPos(bx+pad, by+pad/2))
	r.bubbleAt.Resize(ts)
}

func withAlpha(c color.Color, a uint8) color.Color {
	r, g, bl, _ := c.RGBA()
	return color.NRGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), a}
}
