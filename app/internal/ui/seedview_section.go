package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// SectionFill is Section for content that should take all the height the
// card gets (a list or table), where Section gives content only its
// minimum height.
func SectionFill(icon fyne.Resource, title string, content fyne.CanvasObject) fyne.CanvasObject {
	return widget.NewCard("", "", container.NewBorder(sectionHeading(icon, title), nil, nil, nil, content))
}
