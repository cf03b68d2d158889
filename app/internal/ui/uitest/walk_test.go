package uitest

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

func TestWalkFindsVisibleTextAndWhatATapReaches(t *testing.T) {
	test.NewTempApp(t)
	button := widget.NewButton("Play", nil)
	plain := widget.NewLabel("Title")
	hidden := widget.NewLabel("Secret")
	hidden.Hide()
	root := container.NewVBox(plain, container.NewHBox(button, hidden))
	test.NewTempWindow(t, root)

	targets := map[string]fyne.Tappable{}
	seen := map[string]bool{}
	Walk(root, func(o fyne.CanvasObject, tap fyne.Tappable) {
		if l, ok := o.(*widget.Label); ok {
			seen[l.Text] = true
		}
		if r, ok := o.(*widget.RichText); ok { // a label renders its text as RichText
			targets[r.String()] = tap
		}
		if b, ok := o.(*widget.Button); ok {
			seen[b.Text] = true
		}
	})
	if !seen["Title"] || !seen["Play"] {
		t.Errorf("visible widgets not visited: %v", seen)
	}
	if seen["Secret"] {
		t.Error("a hidden label was visited")
	}
	if _, ok := targets["Title"]; !ok || targets["Title"] != nil {
		t.Errorf("a plain label's text: tap target %v, want none", targets["Title"])
	}
	if targets["Play"] != button {
		t.Errorf("the button's text reaches %v, want the button", targets["Play"])
	}
}
