package seedview

import (
	"image"
	"image/color"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfs-tube/ipfs-tube/app/internal/ui"
)

// RateChart draws upload rate over time as a filled line: the newest point
// at the right edge ("now"), the oldest slot at the left ("-60 min"), and a
// y axis that tops out at a round rate above the peak. Slots without data
// yet (the app started less than an hour ago) stay empty. Call SetRates on
// the UI thread.
type RateChart struct {
	widget.BaseWidget

	slots     int
	rates     []float64
	top       float64 // y-axis maximum, bytes/s
	leftLabel string
}

// NewRateChart shows slots points across its width; leftLabel names the
// left edge ("-60 min").
func NewRateChart(slots int, leftLabel string) *RateChart {
	c := &RateChart{slots: max(slots, 2), leftLabel: leftLabel, top: niceTop(0)}
	c.ExtendBaseWidget(c)
	return c
}

// SetRates replaces the data: bytes/s per slot, oldest first; only the
// newest slots fit when there are more rates than slots.
func (c *RateChart) SetRates(rates []float64) {
	if len(rates) > c.slots {
		rates = rates[len(rates)-c.slots:]
	}
	c.rates = append(c.rates[:0], rates...)
	peak := 0.0
	for _, r := range c.rates {
		if !math.IsNaN(r) && !math.IsInf(r, 0) {
			peak = math.Max(peak, r)
		}
	}
	c.top = niceTop(peak)
	c.Refresh()
}

// Top is the rate at the top of the y axis.
func (c *RateChart) Top() float64 { return c.top }

// TopLabel is what the y axis says at its top.
func (c *RateChart) TopLabel() string { return ui.Rate(c.top) }

// niceTop is the smallest 1, 2 or 5 times a power of ten, in the binary
// unit ui.Rate will print, that is at least peak; 1 KiB/s for an idle
// chart so a trickle still shows as a bump rather than a full-height wall.
func niceTop(peak float64) float64 {
	if peak < 1024 {
		return 1024
	}
	unit := math.Pow(1024, math.Floor(math.Log(peak)/math.Log(1024)))
	m := peak / unit
	for _, nice := range []float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 1024} {
		if m <= nice*(1+1e-9) {
			return nice * unit
		}
	}
	return 1024 * unit
}

// CreateRenderer implements fyne.Widget.
func (c *RateChart) CreateRenderer() fyne.WidgetRenderer {
	r := &chartRenderer{c: c}
	r.plot = canvas.NewRaster(r.draw)
	r.gridTop = canvas.NewLine(color.Black)
	r.gridMid = canvas.NewLine(color.Black)
	r.base = canvas.NewLine(color.Black)
	r.topText = canvas.NewText("", color.Black)
	r.midText = canvas.NewText("", color.Black)
	r.leftText = canvas.NewText(c.leftLabel, color.Black)
	r.midTime = canvas.NewText("-30 min", color.Black)
	r.nowText = canvas.NewText("now", color.Black)
	r.empty = canvas.NewText("No uploads in the last hour", color.Black)
	r.applyTheme()
	return r
}

type chartRenderer struct {
	c                                 *RateChart
	plot                              *canvas.Raster
	gridTop, gridMid, base            *canvas.Line
	topText, midText                  *canvas.Text
	leftText, midTime, nowText, empty *canvas.Text
	plotPos                           fyne.Position
	plotSize                          fyne.Size
}

func (r *chartRenderer) applyTheme() {
	th := r.c.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	grid := th.Color(theme.ColorNameSeparator, v)
	dim := th.Color(theme.ColorNamePlaceHolder, v)
	small := th.Size(theme.SizeNameCaptionText)
	r.gridTop.StrokeColor, r.gridMid.StrokeColor = grid, grid
	r.gridTop.StrokeWidth, r.gridMid.StrokeWidth = 1, 1
	r.base.StrokeColor, r.base.StrokeWidth = dim, 1
	for _, t := range []*canvas.Text{r.topText, r.midText, r.leftText, r.midTime, r.nowText} {
		t.Color, t.TextSize = dim, small
	}
	r.empty.Color, r.empty.TextSize = dim, th.Size(theme.SizeNameText)
}

func (r *chartRenderer) Layout(size fyne.Size) {
	labelH := fyne.MeasureText("0", r.nowText.TextSize, r.nowText.TextStyle).Height
	pad := theme.Padding()
	r.plotPos = fyne.NewPos(0, labelH+pad/2)
	r.plotSize = fyne.NewSize(size.Width, max(size.Height-2*labelH-pad, 1))
	r.plot.Move(r.plotPos)
	r.plot.Resize(r.plotSize)

	top, bottom := r.plotPos.Y, r.plotPos.Y+r.plotSize.Height
	mid := (top + bottom) / 2
	r.gridTop.Position1, r.gridTop.Position2 = fyne.NewPos(0, top), fyne.NewPos(size.Width, top)
	r.gridMid.Position1, r.gridMid.Position2 = fyne.NewPos(0, mid), fyne.NewPos(size.Width, mid)
	r.base.Position1, r.base.Position2 = fyne.NewPos(0, bottom), fyne.NewPos(size.Width, bottom)

	r.topText.Move(fyne.NewPos(0, top-labelH))
	r.midText.Move(fyne.NewPos(0, mid-labelH))
	below := bottom + pad/2
	r.leftText.Move(fyne.NewPos(0, below))
	mt := r.midTime.MinSize()
	r.midTime.Move(fyne.NewPos((size.Width-mt.Width)/2, below))
	nt := r.nowText.MinSize()
	r.nowText.Move(fyne.NewPos(size.Width-nt.Width, below))
	et := r.empty.MinSize()
	r.empty.Move(fyne.NewPos((size.Width-et.Width)/2, mid-et.Height/2))
}

func (r *chartRenderer) MinSize() fyne.Size {
	labelH := fyne.MeasureText("0", r.nowText.TextSize, r.nowText.TextStyle).Height
	return fyne.NewSize(200, 2*labelH+60)
}

func (r *chartRenderer) Refresh() {
	r.applyTheme()
	r.topText.Text = ui.Rate(r.c.top)
	r.midText.Text = ui.Rate(r.c.top / 2)
	r.leftText.Text = r.c.leftLabel
	idle := true
	for _, v := range r.c.rates {
		if v >= 1 {
			idle = false
			break
		}
	}
	r.empty.Hidden = !idle
	r.Layout(r.c.Size())
	for _, o := range r.Objects() {
		o.Refresh()
	}
}

func (r *chartRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.plot, r.gridTop, r.gridMid, r.base, r.topText, r.midText,
		r.leftText, r.midTime, r.nowText, r.empty}
}

func (r *chartRenderer) Destroy() {}

// draw paints the area and its outline at pixel size w×h. Each pixel column
// takes the value between its two nearest slots, linearly, and the line
// joins neighbouring columns so steep jumps stay continuous.
func (r *chartRenderer) draw(w, h int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, max(w, 1), max(h, 1)))
	rates, slots, top := r.c.rates, r.c.slots, r.c.top
	if w < 2 || h < 2 || len(rates) == 0 || top <= 0 {
		return img
	}
	th := r.c.Theme()
	line := color.NRGBAModel.Convert(th.Color(theme.ColorNamePrimary, fyne.CurrentApp().Settings().ThemeVariant())).(color.NRGBA)
	fill := line
	fill.A = 0x60
	first := slots - len(rates) // slot of rates[0]
	scale := float64(w-1) / float64(slots-1)
	thick := max(2, int(math.Round(float64(h)/80)))
	prevY := -1
	for x := range w {
		slot := float64(x) / scale
		if slot < float64(first) {
			continue
		}
		v := valueAt(rates, slot-float64(first))
		y := h - 1 - int(math.Round(math.Min(v/top, 1)*float64(h-1)))
		for yy := y; yy < h; yy++ {
			img.SetNRGBA(x, yy, fill)
		}
		from, to := y, y
		if prevY >= 0 {
			from, to = min(prevY, y), max(prevY, y)
		}
		for yy := from - thick/2; yy <= to+thick/2; yy++ {
			if yy >= 0 && yy < h {
				img.SetNRGBA(x, yy, line)
			}
		}
		prevY = y
	}
	return img
}

// valueAt interpolates rates at fractional index i, treating bad values as 0.
func valueAt(rates []float64, i float64) float64 {
	get := func(k int) float64 {
		k = min(max(k, 0), len(rates)-1)
		v := rates[k]
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return 0
		}
		return v
	}
	lo := int(math.Floor(i))
	frac := i - float64(lo)
	return get(lo)*(1-frac) + get(lo+1)*frac
}
