package playback

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipfs-tube/ipfs-tube/internal/testvideo"
)

// requestLog is an HTTP server standing in for another host: it serves a
// real video at every path, so a player that follows a reference to it
// would play, and records every request it gets.
type requestLog struct {
	mu    sync.Mutex
	paths []string
	url   string
}

func newForeignServer(t *testing.T, video string) *requestLog {
	t.Helper()
	rl := &requestLog{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rl.mu.Lock()
		rl.paths = append(rl.paths, r.Method+" "+r.URL.Path)
		rl.mu.Unlock()
		http.ServeFile(w, r, video)
	}))
	t.Cleanup(srv.Close)
	rl.url = srv.URL
	return rl
}

func (rl *requestLog) requests() []string {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	return append([]string(nil), rl.paths...)
}

// serveText serves body with the given media type at /name and returns its
// URL: the file a viewer would have fetched from IPFS.
func serveText(t *testing.T, name, mime, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/"+name {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", mime)
		http.ServeContent(w, r, name, time.Time{}, strings.NewReader(body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/" + name
}

// TestMediaReferencesNotFollowed plays files that name other files —
// playlists of every kind mpv reads, an EDL, a CUE sheet, an HLS and a DASH
// manifest, an ffconcat script — from one server, each naming a video on a
// second server. Played from IPFS, such a file would make the viewer's
// player fetch from whatever host it names, revealing the viewer's address
// to it. The player must load only what it was asked to: the second server
// sees no request at all, and the player ends in Error, not loading forever.
func TestMediaReferencesNotFollowed(t *testing.T) {
	video := testvideo.Make(t, testvideo.Spec{Duration: 3 * time.Second, FastStart: true})
	for _, tc := range []struct {
		name, file, mime string
		body             func(foreign string) string
	}{
		{"m3u", "list.m3u", "audio/x-mpegurl", func(f string) string {
			return "#EXTM3U\n#EXTINF:3,video\n" + f + "/video.mp4\n"
		}},
		{"m3u-plain-lines", "list.m3u", "text/plain", func(f string) string {
			return f + "/video.mp4\n"
		}},
		{"m3u8-hls", "index.m3u8", "application/vnd.apple.mpegurl", func(f string) string {
			return "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:3\n#EXT-X-MEDIA-SEQUENCE:0\n" +
				"#EXTINF:3.0,\n" + f + "/segment0.ts\n#EXT-X-ENDLIST\n"
		}},
		{"m3u8-master", "master.m3u8", "application/vnd.apple.mpegurl", func(f string) string {
			return "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360\n" + f + "/variant.m3u8\n"
		}},
		{"pls", "list.pls", "audio/x-scpls", func(f string) string {
			return "[playlist]\nFile1=" + f + "/video.mp4\nTitle1=video\nLength1=3\nNumberOfEntries=1\nVersion=2\n"
		}},
		{"edl", "cut.edl", "text/plain", func(f string) string {
			return "# mpv EDL v0\n" + f + "/video.mp4,0,2\n"
		}},
		{"cue", "album.cue", "text/plain", func(f string) string {
			return "FILE \"" + f + "/video.mp4\" MP4\n  TRACK 01 AUDIO\n    TITLE \"one\"\n    INDEX 01 00:00:00\n"
		}},
		{"ffconcat", "list.ffconcat", "text/plain", func(f string) string {
			return "ffconcat version 1.0\nfile '" + f + "/video.mp4'\n"
		}},
		{"dash", "manifest.mpd", "application/dash+xml", func(f string) string {
			return `<?xml version="1.0"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT3S" minBufferTime="PT1S" profiles="urn:mpeg:dash:profile:isoff-on-demand:2011">
 <Period><AdaptationSet mimeType="video/mp4"><Representation id="1" bandwidth="800000" width="640" height="360" codecs="avc1.64001e">
  <BaseURL>` + f + `/video.mp4</BaseURL>
 </Representation></AdaptationSet></Period>
</MPD>
`
		}},
		{"asx", "list.asx", "video/x-ms-asf", func(f string) string {
			return "<asx version=\"3.0\"><entry><ref href=\"" + f + "/video.mp4\"/></entry></asx>\n"
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			foreign := newForeignServer(t, video)
			url := serveText(t, tc.file, tc.mime, tc.body(foreign.url))
			p, _ := newTestPlayer(t)
			start := time.Now()
			if err := p.Load(context.Background(), url); err != nil {
				t.Fatal(err)
			}
			st := waitStatus(t, p, "error or end", func(s Status) bool { return s.State == Error || s.State == Ended })
			took := time.Since(start)
			t.Logf("%s after %v: %s, err: %v", tc.name, took.Round(time.Millisecond), st.State, st.Err)
			if got := foreign.requests(); len(got) > 0 {
				t.Errorf("the host the file names was asked %d times: %v", len(got), got)
			}
			if st.State != Error || !errors.Is(st.Err, ErrNotVideo) {
				t.Errorf("state %s, err %v; want Error with %v", st.State, st.Err, ErrNotVideo)
			}
			// Well under the network timeout (5 s here): refused, not
			// waited out.
			if took > 4*time.Second {
				t.Errorf("took %v to fail, want it refused at once", took)
			}
		})
	}
}

// TestExplicitURLPlays: the rule above is about references inside a file;
// a URL given to Load is played from whatever host it names.
func TestExplicitURLPlays(t *testing.T) {
	t.Parallel()
	video := testvideo.Make(t, testvideo.Spec{Duration: 3 * time.Second, FastStart: true})
	foreign := newForeignServer(t, video)
	p, _ := newTestPlayer(t)
	if err := p.Load(context.Background(), foreign.url+"/video.mp4"); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, p, "playing", func(s Status) bool { return s.State == Playing && s.Position > 0.2 })
	if len(foreign.requests()) == 0 {
		t.Error("the server of the URL saw no request")
	}
}

// TestSDPOpensNoPorts: an SDP file names a host and UDP ports, and
// libavformat's SDP demuxer opens RTP sockets for them itself, past the
// check that stops every other reference (mpv's access-references covers
// only what demuxers open through mpv). The player must not bind the ports
// the file names, and must fail at once rather than wait for packets.
func TestSDPOpensNoPorts(t *testing.T) {
	t.Parallel()
	port := freeUDPPort(t)
	sdp := fmt.Sprintf("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"+
		"m=video %d RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n", port)
	url := serveText(t, "stream.sdp", "application/sdp", sdp)
	p, _ := newTestPlayer(t)
	start := time.Now()
	if err := p.Load(context.Background(), url); err != nil {
		t.Fatal(err)
	}
	bound := false
	deadline := time.Now().Add(waitLong)
	var st Status
	for {
		if c, err := net.ListenPacket("udp", fmt.Sprintf(":%d", port)); err != nil {
			bound = true
		} else {
			c.Close()
		}
		st = p.Status()
		if st.State == Error || st.State == Ended || time.Now().After(deadline) {
			break
		}
		time.Sleep(pollEvery)
	}
	took := time.Since(start)
	t.Logf("after %v: %s, err: %v", took.Round(time.Millisecond), st.State, st.Err)
	if bound {
		t.Errorf("the player bound UDP port %d, named by the file", port)
	}
	if st.State != Error || !errors.Is(st.Err, ErrNotVideo) {
		t.Errorf("state %s, err %v; want Error with %v", st.State, st.Err, ErrNotVideo)
	}
	if took > 4*time.Second {
		t.Errorf("took %v to fail, want it refused at once", took)
	}
}

// freeUDPPort returns an even UDP port (RTP's) with the port above it free
// on all interfaces at the time of the call.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	for range 100 {
		c, err := net.ListenPacket("udp", ":0")
		if err != nil {
			t.Fatal(err)
		}
		port := c.LocalAddr().(*net.UDPAddr).Port
		c.Close()
		if port%2 != 0 {
			continue
		}
		c2, err := net.ListenPacket("udp", fmt.Sprintf(":%d", port+1))
		if err != nil {
			continue
		}
		c2.Close()
		return port
	}
	t.Fatal("no free pair of UDP ports")
	return 0
}

// TestPlaylistGettingThroughFails: should a playlist get past the options
// (here they are turned back on), the player fails at once instead of
// sitting in Loading while mpv plays entries the player does not follow.
func TestPlaylistGettingThroughFails(t *testing.T) {
	t.Parallel()
	video := testvideo.Make(t, testvideo.Spec{Duration: 3 * time.Second, FastStart: true})
	foreign := newForeignServer(t, video)
	url := serveText(t, "list.m3u", "audio/x-mpegurl", "#EXTM3U\n#EXTINF:3,video\n"+foreign.url+"/video.mp4\n")
	p, _ := newTestPlayer(t)
	if err := p.m.SetPropertyString("access-references", "yes"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := p.Load(context.Background(), url); err != nil {
		t.Fatal(err)
	}
	st := waitStatus(t, p, "error or end", func(s Status) bool { return s.State == Error || s.State == Ended })
	took := time.Since(start)
	t.Logf("after %v: %s, err: %v", took.Round(time.Millisecond), st.State, st.Err)
	if st.State != Error || !errors.Is(st.Err, ErrNotVideo) || !strings.Contains(st.Err.Error(), "playlist") {
		t.Errorf("state %s, err %v; want Error with %v, saying it is a playlist", st.State, st.Err, ErrNotVideo)
	}
	if took > 4*time.Second {
		t.Errorf("took %v to fail, want at once", took)
	}
}

// TestProbeFollowsNoReferences: an upload is the file itself; probing a
// playlist or EDL dropped on the window must not fetch what it names.
func TestProbeFollowsNoReferences(t *testing.T) {
	t.Parallel()
	video := testvideo.Make(t, testvideo.Spec{Duration: 3 * time.Second, FastStart: true})
	foreign := newForeignServer(t, video)
	dir := t.TempDir()
	for name, body := range map[string]string{
		"list.m3u": "#EXTM3U\n#EXTINF:3,video\n" + foreign.url + "/video.mp4\n",
		"cut.edl":  "# mpv EDL v0\n" + foreign.url + "/video.mp4,0,2\n",
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Probe(context.Background(), path, WithProbeTimeout(10*time.Second))
		t.Logf("%s: %v", name, err)
		if !errors.Is(err, ErrNotVideo) {
			t.Errorf("%s: err %v, want %v", name, err, ErrNotVideo)
		}
	}
	if got := foreign.requests(); len(got) > 0 {
		t.Errorf("the host the files name was asked %d times: %v", len(got), got)
	}
}
