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
// # Only the file asked for
//
// A file played from IPFS comes from anyone. If the player followed what
// such a file names — playlist entries (m3u, m3u8, pls), EDL segments, the
// files of a CUE sheet, HLS and DASH segments and variants, ffconcat
// entries, Matroska linked segments, mov references, external subtitles,
// audio or cover art, an SDP's RTP streams — whoever made it would learn
// the viewer's address from the request, in isolated and private mode
// alike. So the player loads exactly the URL given to Load (or Probe), and
// nothing a file names, whatever the host, ours included: the rule is about
// where a reference comes from, not where it points, so it needs no list
// of hosts. Such a file ends at once in Error with ErrNotVideo; the URL
// given is still played from any host (callers decide which hosts they
// hand over).
//
// The options (onlyWhatIsAsked, for players and probes alike):
//   - access-references=no is what does it: mpv's playlist, EDL and CUE
//     demuxers refuse to open, and libavformat's demuxers get an opener
//     that refuses every nested file. Without it mpv 0.35 follows http
//     entries of a playlist read over http (load-unsafe-playlists=no, the
//     default, only holds back other protocols) and lavf fetches HLS and
//     DASH segments from any host.
//   - demuxer-lavf-o=protocol_whitelist=none: libavformat's SDP demuxer
//     opens RTP/UDP sockets for the host an .sdp file names itself, past
//     access-references (it bound the ports on all interfaces and waited
//     for packets). With no protocol allowed to demuxers it fails at once.
//     mpv reads the file itself through its own stream, which this does
//     not govern, so ordinary files play as before.
//   - ordered-chapters=no, load-unsafe-playlists=no, sub-auto=no,
//     audio-file-auto=no, cover-art-auto=no, autoload-files=no: covered by
//     the above or meaningful only for local files, set so that no one
//     option changing its meaning in a later mpv reopens the hole.
//   - load-scripts=no, ytdl=no, load-auto-profiles=no and the built-in
//     scripts off: scripts and youtube-dl may open anything.
//
// Should a playlist still get through, the player fails at once (mpv's
// "redirect" end of the file) and stops, rather than wait on entries it
// does not follow. HLS and DASH are therefore not played at all: IPFS-Tube
// publishes single files, and a manifest's segments are references like
// any other. TestMediaReferencesNotFollowed plays each kind from one server
// naming a second and checks the second is never asked.
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
