package ui

import (
	"errors"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

func TestErrorLabel(t *testing.T) {
	test.NewTempApp(t)
	l := ErrorLabel()
	if l.Visible() || l.Text != "" || l.Importance != widget.DangerImportance {
		t.Fatalf("new error label: visible %v, text %q, importance %v", l.Visible(), l.Text, l.Importance)
	}
	ShowError(l, errors.New("port 70000: out of range"))
	if !l.Visible() || l.Text != "port 70000: out of range" {
		t.Errorf("after an error: visible %v, text %q", l.Visible(), l.Text)
	}
	ShowError(l, nil)
	if l.Visible() || l.Text != "" {
		t.Errorf("after nil: visible %v, text %q", l.Visible(), l.Text)
	}
}
