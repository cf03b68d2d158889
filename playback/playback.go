// Package playback is IPFS-Tube's only user of libmpv
// (github.com/gen2brain/go-mpv). It alone creates, drives and destroys mpv
// handles; the rest of the program asks it to play a URL (the node's loopback
// gateway) and receives frames and state from it. It never imports fyne or
// the node package.
//
// A Player owns one mpv core. One goroutine reads mpv's events and keeps the
// Status; one renders frames in software (mpv's render API, vo=libmpv) when
// mpv signals a new one, into RGBA images at the video's frame rate; the
// status and frame functions run on goroutines of their own, so a slow
// consumer never holds up mpv.
//
// # Usage
//
//	p, err := playback.New(ctx,
//		playback.WithStatusFunc(func(s playback.Status) { /* s.State, s.Position, s.Err … */ }),
//		playback.WithFrameFunc(func(f playback.Frame) { /* copy f.Image before returning */ }),
//	)
//	if err != nil {
//		return err
//	}
//	defer p.Close()
//	if err := p.Load(ctx, "http://127.0.0.1:8080/ipfs/bafy…"); err != nil {
//		return err
//	}
//	p.SetSurfaceSize(1280, 720) // optional: the video's own size otherwise
//	p.Seek(42.0)                // exact, in seconds
//
// # Behaviour worth knowing
//
//   - Load returns at once; the outcome arrives as Status. A file that is not
//     a video (text, random bytes, a truncated mp4 whose index was at the
//     end) ends in Error with ErrNotVideo; an audio-only file in Error with
//     ErrNoVideoStream; a URL that sends nothing for the network timeout
//     (WithNetworkTimeout, 30 s by default), before or during playback, in
//     Error with ErrTimeout. A file cut short whose index is intact plays
//     what is there and ends (Ended) early.
//   - At the end the last frame stays up (Ended); Play starts over, Seek
//     moves back.
//   - The demuxer cache is bounded in bytes (WithCache, 64 MiB ahead and
//     16 MiB behind by default), so memory does not grow with the file.
//   - Dropped connections are resumed with a Range request instead of
//     ending the video.
//   - Frame.SeekSeq lets a caller find the first frame of a seek; see Frame.
//
// # Probing uploads
//
// Probe opens a file or URL with a short-lived core of its own and returns
// its duration, size, codecs and a poster frame (at 10 % of the duration,
// skipping near-black frames); EncodeJPEG turns the poster into poster.jpg.
//
//	info, err := playback.Probe(ctx, path)
//	jpg, err := playback.EncodeJPEG(info.Poster, 90)
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
	"runtime/debug"
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

// BindingVersion is the version of the Go binding to libmpv this binary
// was built with, from its build information; "" when not recorded.
func BindingVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, d := range info.Deps {
		if d.Path == "github.com/gen2brain/go-mpv" {
			return d.Version
		}
	}
	return ""
}
