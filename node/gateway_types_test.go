package node

import (
	"mime"
	"net/http"
	"testing"

	"github.com/ipfs/go-cid"
)

// TestGatewayContentTypes: what a directory's publisher writes (the
// metadata's mime, the file's name) sets the Content-Type only when it
// is a media type, no response declares a type a browser would run, and
// every response says nosniff.
func TestGatewayContentTypes(t *testing.T) {
	p := newGatewayPair(t)
	page := []byte("<!DOCTYPE html><html><body><script>fetch('/')</script></body></html>")
	html := importBytes(t, p.seeder, page)
	mkdir := func(videoName, mimeType string) cid.Cid {
		meta := importBytes(t, p.seeder, metadataJSON(t, VideoMetadata{Version: 1, Video: videoName, MIME: mimeType}))
		return makeDir(t, p.seeder, false, map[string]cid.Cid{videoName: html, MetadataFile: meta})
	}
	for _, tc := range []struct {
		name, url, want string
	}{
		{"html mime, mp4 name", p.gw.URL(mkdir("talk.mp4", "text/html; charset=utf-8")), "video/mp4"},
		{"svg mime, html name", p.gw.URL(mkdir("talk.html", "image/svg+xml")), "application/octet-stream"},
		{"javascript mime, no extension", p.gw.URL(mkdir("talk", "text/javascript")), "application/octet-stream"},
		// The system's table may call webm audio or video.
		// (A mime that does not parse, such as "video/", makes the whole
		// video.json malformed: ErrBadMetadata.)
		{"non-media mime, webm name", p.gw.URL(mkdir("talk.webm", "application/x-whatever")), mime.TypeByExtension(".webm")},
		{"audio mime", p.gw.URL(mkdir("talk.bin", "audio/ogg")), "audio/ogg"},
		// A bare CID has no name: boxo sniffs HTML from the bytes.
		{"bare html file", p.gw.URL(html), "application/octet-stream"},
	} {
		resp, body := p.do(t, "GET", tc.url, "")
		if resp.StatusCode != http.StatusOK || string(body) != string(page) {
			t.Errorf("%s: %s, %d bytes", tc.name, resp.Status, len(body))
		}
		if ct := resp.Header.Get("Content-Type"); ct != tc.want {
			t.Errorf("%s: Content-Type %q, want %q", tc.name, ct, tc.want)
		}
		if ns := resp.Header.Get("X-Content-Type-Options"); ns != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q, want nosniff", tc.name, ns)
		}
	}

	// Refusals and errors say nosniff too.
	noVideo := makeDir(t, p.seeder, false, map[string]cid.Cid{"notes.txt": html})
	for _, url := range []string{
		"http://" + p.gw.Addr() + "/ipfs/" + html.String(),                             // no token
		"http://" + p.gw.Addr() + "/" + p.gw.token + "/ipns/" + p.seeder.ID().String(), // refused path
		p.gw.URL(noVideo), // boxo's 404
	} {
		resp, _ := p.do(t, "GET", url, "")
		if resp.StatusCode < 400 {
			t.Errorf("%s: %s, want an error", url, resp.Status)
		}
		if ns := resp.Header.Get("X-Content-Type-Options"); ns != "nosniff" {
			t.Errorf("%s (%s): X-Content-Type-Options %q, want nosniff", url, resp.Status, ns)
		}
	}
}
