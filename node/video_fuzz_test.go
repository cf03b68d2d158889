package node

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// FuzzDecodeMetadata: a video.json is refused with ErrBadMetadata, or
// holds a version this program reads, file names without slashes, a
// duration and bit rate a player can use, and survives being written
// and read again.
func FuzzDecodeMetadata(f *testing.F) {
	for _, m := range []VideoMetadata{
		{Version: 1, Title: "My talk", Description: "…", Video: "talk.mp4", Cid: "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy",
			Poster: "poster.jpg", DurationS: 1234.5, Width: 1920, Height: 1080, MIME: "video/mp4"},
		{Version: 1, Video: "a.webm"},
		{Version: 2, Video: "a.mp4"},
		{Version: -5, Video: "a.mp4"},
		{Version: 1, Video: "../a.mp4"},
		{Version: 1, Video: "a.mp4", DurationS: 1e300},
		{Version: 1, Video: "a.mp4", MIME: "video/mp4; codecs=\"avc1\""},
	} {
		data, _ := json.Marshal(m)
		f.Add(data, int64(1<<30))
	}
	f.Add([]byte(`{"version":1,"video":"a.mp4","duration_s":1e-9}`), int64(1)<<62)
	f.Add([]byte(`{"version":1}`), int64(0))
	f.Add([]byte(`not json`), int64(0))
	f.Fuzz(func(t *testing.T, data []byte, size int64) {
		m, err := decodeMetadata(data)
		if err != nil {
			if !errors.Is(err, ErrBadMetadata) {
				t.Fatalf("%q: %v does not wrap ErrBadMetadata", data, err)
			}
			return
		}
		if m.Version != MetadataVersion || m.Video == "" || strings.Contains(m.Video, "/") || strings.Contains(m.Poster, "/") {
			t.Fatalf("%q accepted as %+v", data, m)
		}
		v := Video{Size: max(size, 0), Metadata: m}
		if d := v.Duration(); d < 0 {
			t.Fatalf("%q: duration %v", data, d)
		}
		if b := v.Bitrate(); b < 0 || b > maxBitrate {
			t.Fatalf("%q, %d bytes: bit rate %d", data, v.Size, b)
		}
		if ra := defaultReadAhead(v.Bitrate()); ra < MinGatewayReadAhead || ra > MaxGatewayReadAhead {
			t.Fatalf("%q, %d bytes: read-ahead %d", data, v.Size, ra)
		}
		again, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		m2, err := decodeMetadata(again)
		if err != nil || *m2 != *m {
			t.Fatalf("%q → %+v → %s → %+v, %v", data, m, again, m2, err)
		}
	})
}

// TestDecodeMetadataBounds: what a stranger's video.json may not say.
// A negative version, a poster path, a duration past what a
// time.Duration holds and an unparsable MIME type used to pass.
func TestDecodeMetadataBounds(t *testing.T) {
	for _, bad := range []string{
		`{"version":-5,"video":"a.mp4"}`,
		`{"version":1,"video":".."}`,
		`{"version":1,"video":"a.mp4","poster":"../../etc/passwd"}`,
		`{"version":1,"video":"a.mp4","duration_s":1e300}`,
		`{"version":1,"video":"a.mp4","duration_s":-1}`,
		`{"version":1,"video":"a.mp4","width":-1920}`,
		`{"version":1,"video":"a.mp4","mime":"video/mp4\r\nX-Evil: 1"}`,
	} {
		if m, err := decodeMetadata([]byte(bad)); !errors.Is(err, ErrBadMetadata) {
			t.Errorf("%s: %+v, %v; want ErrBadMetadata", bad, m, err)
		}
	}
	// A root block may claim any file size: the bit rate stays bounded.
	m, err := decodeMetadata([]byte(`{"version":1,"video":"a.mp4","duration_s":0.000000001}`))
	if err != nil {
		t.Fatal(err)
	}
	if b := (Video{Size: 1 << 62, Metadata: m}).Bitrate(); b <= 0 || b > maxBitrate {
		t.Errorf("bit rate %d", b)
	}
}
