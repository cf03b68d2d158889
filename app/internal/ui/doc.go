// Package ui holds what every view of the app's window shares: how sizes,
// rates and times are written for people, and the card that frames a
// section. It imports Fyne and is used only from app/.
//
//	ui.Bytes(3 << 30)              // "3.0 GiB"
//	ui.Rate(12.5e6)                // "12 MiB/s"
//	ui.Clock(83 * time.Second)     // "1:23"
//	ui.Section(icon, "Library", c) // a card with a small icon heading
package ui
