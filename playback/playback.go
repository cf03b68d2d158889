// Package playback is IPFS-Tube's only user of libmpv
// (github.com/gen2brain/go-mpv). It alone creates, drives and destroys mpv
// handles; the rest of the program asks it to play a URL (the node's loopback
// gateway) and receives frames and state from it. It never imports fyne or
// the node package.
//
// The Player type that owns a handle, runs its event goroutine and renders
// frames in software comes in a later change; for now the package exposes
// what the build and the diagnostics need.
//
// # Usage
//
//	major, minor := playback.ClientAPIVersion()
//	slog.Info("libmpv", "client_api", fmt.Sprintf("%d.%d", major, minor))
//
// # Building against libmpv 0.35
//
// go-mpv v0.4.0 needs libmpv client API 2.1 (libmpv 0.36). On older libmpv the
// Makefile adds an include shim and the build tag mpvcompat, which links in
// stand-ins for the two missing functions (see mpvcompat.go and README.md).
// Because the stand-ins are defined here, any binary that uses go-mpv must
// import this package.
package playback

import (
	mpv "github.com/gen2brain/go-mpv"
)

// ClientAPIVersion returns the libmpv client API version of the library the
// program runs against, for diagnostics and bug reports. libmpv 0.35 reports
// 2.0, 0.36 reports 2.1.
func ClientAPIVersion() (major, minor int) {
	// mpv_client_api_version takes no handle, so a zero Mpv avoids starting
	// an mpv core just to read a number.
	v := new(mpv.Mpv).APIVersion()
	return int(v >> 16), int(v & 0xffff)
}

// CompatShim reports whether this binary was built with the libmpv 0.35
// stand-ins (build tag mpvcompat). Where it is true, mpv time in nanoseconds
// has microsecond resolution and deleting properties is not supported.
func CompatShim() bool { return compatShim }
