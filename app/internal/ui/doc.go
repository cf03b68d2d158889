// Package ui holds what every view of the app's window shares: how sizes,
// rates and times are written for people, the card that frames a section
// and the inline error line under a field. It imports Fyne and is used only
// from app/. Its subpackage uitest is the views' shared test support.
//
//	ui.Bytes(3 << 30)                  // "3.0 GiB"
//	ui.Rate(12.5e6)                    // "12 MiB/s"
//	ui.Clock(83 * time.Second)         // "1:23"
//	ui.Section(icon, "Library", c)     // a card with a small icon heading
//	ui.SectionFill(icon, "Videos", l)  // the same, the content taking all its height
//	msg := ui.ErrorLabel()             // hidden until...
//	ui.ShowError(msg, err)             // ...an error shows; nil hides it again
package ui
