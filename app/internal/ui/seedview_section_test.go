package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfs-tube/ipfs-tube/app/internal/ui/uitest"
)

// Section and SectionFill share their heading; only the room given to the
// content differs.
func TestSectionAndSectionFill(t *testing.T) {
	test.NewTempApp(t)
	for _, tc := range []struct {
		name  string
		build func(fyne.Resource, string, fyne.CanvasObject) fyne.CanvasObject
		fills bool
	}{
		{"Section", Section, false},
		{"SectionFill", SectionFill, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			content := canvas.NewRectangle(nil)
			content.SetMinSize(fyne.NewSize(50, 40))
			card := tc.build(theme.ListIcon(), "Seeded videos", content)
			w := test.NewTempWindow(t, card)
			w.Resize(fyne.NewSize(400, 500))

			var heading *widget.Label
			uitest.Walk(card, func(o fyne.CanvasObject, _ fyne.Tappable) {
				if l, ok := o.(*widget.Label); ok && l.Text == "Seeded videos" {
					heading = l
				}
			})
			if heading == nil || !heading.TextStyle.Bold || heading.SizeName != theme.SizeNameSubHeadingText {
				t.Fatalf("no bold sub-heading %q in the card: %+v", "Seeded videos", heading)
			}
			h := content.Size().Height
			if tc.fills && h < 300 {
				t.Errorf("content %v high in a 500 high window, want it to fill the card", h)
			}
			if !tc.fills && h != 40 {
				t.Errorf("content %v high, want its minimum 40", h)
			}
		})
	}
}
