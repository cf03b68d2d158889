//go:build windows

package main

import (
	"os"

	"golang.org/x/sys/windows"
)

// attachParentConsole gives the command line somewhere to print on
// Windows. The exe is a GUI program (-H=windowsgui, so starting it from
// Explorer opens no console window), and such a program starts without
// standard handles: in a command prompt `ipfs-tube.exe --version` or
// `unregister` would print nothing. When a handle is missing and the parent
// process has a console, write to that console; redirected handles
// (`> out.txt`) are kept.
func attachParentConsole() {
	out, _ := windows.GetStdHandle(windows.STD_OUTPUT_HANDLE)
	errh, _ := windows.GetStdHandle(windows.STD_ERROR_HANDLE)
	missing := func(h windows.Handle) bool { return h == 0 || h == windows.InvalidHandle }
	if !missing(out) && !missing(errh) {
		return
	}
	const attachParentProcess = ^uint32(0) // ATTACH_PARENT_PROCESS, (DWORD)-1
	attached, _, _ := windows.NewLazySystemDLL("kernel32.dll").NewProc("AttachConsole").Call(uintptr(attachParentProcess))
	if attached == 0 {
		return // started by Explorer or a browser: no console to print to
	}
	con, err := os.OpenFile("CONOUT$", os.O_WRONLY, 0)
	if err != nil {
		return
	}
	if missing(out) {
		os.Stdout = con
	}
	if missing(errh) {
		os.Stderr = con
	}
}
