// Command ipfs-tube is IPFS-Tube: a desktop video player and seeding app
// with an embedded IPFS node. With no command it opens the app window;
// sub-commands (add, cat, get, play, pin, gc, id, gateways, seeding, repo
// verify, daemon, register, unregister, version) work from a terminal and,
// through the control API, while the app or a daemon holds the repo. This
// package is the only user of Fyne and owns the window's shell and tray,
// the cobra CLI, the control API, and the wiring of node, library,
// library/publish and playback; the views live in app/internal.
//
// Every parser of untrusted input (links, sizes and rates, settings.json,
// …) has a fuzz target asserting its invariants, and every later one gets
// one too (internal/fuzz; `make fuzz`).
package main

import (
	"os"

	// Before Fyne initialises: see the package doc.
	_ "github.com/ipfs-tube/ipfs-tube/app/internal/cleanlocale"
)

func main() {
	attachParentConsole()
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
