package main

import (
	"fmt"
	"os"
	"runtime"
)

// trayAvailable says whether a tray icon can be shown. On Linux and the
// BSDs the tray speaks D-Bus (StatusNotifierItem); without a session bus
// (a bare X server, a CI machine) Fyne's systray crashes on quit, closing a
// connection it never opened, so the app goes without a tray there.
func trayAvailable() bool {
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd":
	default:
		return true
	}
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
		return true
	}
	_, err := os.Stat(fmt.Sprintf("/run/user/%d/bus", os.Getuid()))
	return err == nil
}
