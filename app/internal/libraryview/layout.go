package libraryview

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// columnsLayout centres its objects in a column exactly as wide as the
// whole tiles that fit (plus the scroll bar's gutter), so the grid, the
// search box above it and the window's edges line up instead of leaving
// a ragged gap on the right.
type columnsLayout struct{ cell float32 }

func (l columnsLayout) width(avail float32) float32 {
	pad := theme.Padding()
	gutter := theme.ScrollBarSize() + pad
	cols := max(1, int((avail-gutter+pad)/(l.cell+pad)))
	return min(avail, float32(cols)*(l.cell+pad)-pad+gutter)
}

func (l columnsLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	w := l.width(size.Width)
	for _, o := range objs {
		o.Move(fyne.NewPos((size.Width-w)/2, 0))
		o.Resize(fyne.NewSize(w, size.Height))
	}
}

func (l columnsLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objs {
		s = s.Max(o.MinSize())
	}
	return s
}
