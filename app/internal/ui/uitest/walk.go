package uitest

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// Walk visits the visible objects under o, depth first, widgets through
// the test driver's renderers. fn also gets the innermost tappable at or
// above each object (nil if none): what a tap on that object's text
// reaches, which is how tests find a menu item or button by its words.
func Walk(o fyne.CanvasObject, fn func(o fyne.CanvasObject, tapTarget fyne.Tappable)) {
	walk(o, nil, fn)
}

func walk(o fyne.CanvasObject, target fyne.Tappable, fn func(fyne.CanvasObject, fyne.Tappable)) {
	if o == nil || !o.Visible() {
		return
	}
	if tp, ok := o.(fyne.Tappable); ok {
		target = tp
	}
	fn(o, target)
	switch x := o.(type) {
	case *fyne.Container:
		for _, c := range x.Objects {
			walk(c, target, fn)
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(x).Objects() {
			walk(c, target, fn)
		}
	}
}
