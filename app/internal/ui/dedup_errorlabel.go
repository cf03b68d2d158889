package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// ErrorLabel is an inline error message, under a field or a form: the
// danger colour, wrapped, and hidden until ShowError gives it an error, so
// a valid form keeps no empty gap.
func ErrorLabel() *widget.Label {
	l := widget.NewLabel("")
	l.Importance = widget.DangerImportance
	l.Wrapping = fyne.TextWrapWord
	l.Hide()
	return l
}

// ShowError shows err on l, or clears and hides l when err is nil.
func ShowError(l *widget.Label, err error) {
	if err == nil {
		l.SetText("")
		l.Hide()
		return
	}
	l.SetText(err.Error())
	l.Show()
}
