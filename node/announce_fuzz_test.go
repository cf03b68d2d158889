package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

// fuzzNow is the receiver's clock in FuzzDecodeAnnouncement.
var fuzzNow = time.UnixMilli(1767225600000)

// FuzzDecodeAnnouncement: an announcement is refused with one of the
// counted reasons, or decodes to entries within every bound whose
// window is the one on the wire, and re-encodes to bytes that decode
// to the same announcement and encode to the same bytes again.
func FuzzDecodeAnnouncement(f *testing.F) {
	good := videoWire{Cid: videoCid(f, "good").String(), Wants: 2, Bytes: 3, WindowMs: 60_000}
	other := videoWire{Cid: videoCid(f, "other").String(), Wants: 1 << 40, Bytes: 1 << 53, WindowMs: 24 * 3600_000}
	for _, data := range [][]byte{
		wireJSON(f, announceVersion, fuzzNow, good),
		wireJSON(f, announceVersion, fuzzNow, good, other),
		wireJSON(f, announceVersion, fuzzNow),
		wireJSON(f, announceVersion, fuzzNow, good, good),
		wireJSON(f, 1, fuzzNow, good),
		wireJSON(f, announceVersion, fuzzNow.Add(time.Hour), good),
		[]byte(fmt.Sprintf(`{"v":2,"t":%d,"videos":[],"later":true}`, fuzzNow.UnixMilli())),
		[]byte(fmt.Sprintf(`{"v":2,"t":%d,"videos":[{"cid":%q,"wants":1.5,"window_ms":1000}]}`, fuzzNow.UnixMilli(), good.Cid)),
		[]byte("\x00\x01not json"),
	} {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := decodeAnnouncement(data, fuzzNow, announceMaxAhead, announceMaxAge)
		if err != nil {
			var we *wireError
			if !errors.As(err, &we) || !slices.Contains([]string{rejectOversized, rejectEncoding, rejectVersion,
				rejectEntries, rejectVideo, rejectClock}, we.reason) {
				t.Fatalf("refused without a counted reason: %v", err)
			}
			return
		}
		checkAnnouncementBounds(t, d)
		// The decoder read the same JSON: its windows are those on the wire.
		var w announceWire
		if err := json.Unmarshal(data, &w); err != nil || len(w.Videos) != len(d.videos) {
			t.Fatalf("decoded %d videos from %q, plain JSON %v", len(d.videos), data, err)
		}
		for i, v := range d.videos {
			if v.Window.Milliseconds() != w.Videos[i].WindowMs {
				t.Fatalf("window_ms %d on the wire decoded as %v", w.Videos[i].WindowMs, v.Window)
			}
		}
		enc, err := encodeAnnouncement(d.sent, d.videos)
		if err != nil {
			t.Fatalf("a decoded announcement does not encode: %v", err)
		}
		d2, err := decodeAnnouncement(enc, fuzzNow, announceMaxAhead, announceMaxAge)
		if err != nil || !d2.sent.Equal(d.sent) || !slices.Equal(d2.videos, d.videos) {
			t.Fatalf("%q re-encoded as %q, which decodes to %+v, %v; want %+v", data, enc, d2, err, d)
		}
		if enc2, err := encodeAnnouncement(d2.sent, d2.videos); err != nil || string(enc2) != string(enc) {
			t.Fatalf("encoding is not stable: %q, then %q, %v", enc, enc2, err)
		}
	})
}

func checkAnnouncementBounds(t *testing.T, d decodedAnnouncement) {
	t.Helper()
	if len(d.videos) > MaxAnnouncedVideos {
		t.Fatalf("%d videos", len(d.videos))
	}
	if d.sent.After(fuzzNow.Add(announceMaxAhead)) || d.sent.Before(fuzzNow.Add(-announceMaxAge)) {
		t.Fatalf("sent %v, received %v", d.sent, fuzzNow)
	}
	for _, v := range d.videos {
		if checkAnnouncedCid(v.Video) != nil || checkCounts(v.Wants, v.BytesServed, v.Window) != nil {
			t.Fatalf("entry out of bounds: %+v", v)
		}
	}
}

// TestAnnouncementWindowOverflow: window_ms is bounded before it becomes
// a Duration, so a count of milliseconds whose nanoseconds wrap around
// int64 into the allowed range is refused, not read as ten minutes.
func TestAnnouncementWindowOverflow(t *testing.T) {
	// 288230376152311744 ms × 10^6 ≡ 600000 ms × 10^6 (mod 2^64).
	v := videoWire{Cid: videoCid(t, "good").String(), Wants: 1, WindowMs: 288230376152311744}
	if got := time.Duration(v.WindowMs) * time.Millisecond; got != 10*time.Minute {
		t.Fatalf("the wrap this test relies on gives %v", got)
	}
	d, err := decodeAnnouncement(wireJSON(t, announceVersion, fuzzNow, v), fuzzNow, announceMaxAhead, announceMaxAge)
	var we *wireError
	if !errors.As(err, &we) || we.reason != rejectVideo {
		t.Fatalf("decoded %+v, %v; want refused as a bad video entry", d, err)
	}
}
