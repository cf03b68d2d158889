package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Section is a card with a small icon heading. Card's own title uses the
// heading size, which would compete with the app name in the header.
func Section(icon fyne.Resource, title string, content fyne.CanvasObject) fyne.CanvasObject {
	return widget.NewCard("", "", container.NewVBox(sectionHeading(icon, title), content))
}

// sectionHeading is the icon and bold title that open a Section.
func sectionHeading(icon fyne.Resource, title string) fyne.CanvasObject {
	heading := widget.NewLabel(title)
	heading.SizeName = theme.SizeNameSubHeadingText
	heading.TextStyle.Bold = true
	return container.NewHBox(widget.NewIcon(theme.NewPrimaryThemedResource(icon)), heading)
}

// DimText is secondary text in the theme's placeholder colour; it follows
// theme changes because it names the colour instead of holding it.
func DimText(s string) *widget.RichText {
	return widget.NewRichText(&widget.TextSegment{
		Text:  s,
		Style: widget.RichTextStyle{ColorName: theme.ColorNamePlaceHolder, Inline: true},
	})
}
