package library

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// FuzzDecodeVideo: a stored catalog record is refused, or is one JSON
// object that decodes to a valid Video whose encoding decodes and
// encodes to the same bytes; a field changed and saved is what the next
// read sees, whatever unknown fields the record carried.
func FuzzDecodeVideo(f *testing.F) {
	key := testCid(f, "fuzz")
	v := Video{Cid: key, Dir: testCid(f, "dir"), Title: "<b>talk</b>", Duration: time.Minute, Width: 1920, Height: 1080,
		Size: 1 << 30, BytesLocal: 1 << 20, WatchCount: 2, LastPosition: time.Second, Kept: Pinned | AutoSeeded,
		Added: time.Date(2025, 2, 3, 4, 5, 6, 7, time.UTC)}
	v.setAutoSeededAt(time.Date(2025, 2, 3, 4, 5, 6, 7, time.UTC))
	good, err := encodeVideo(v)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"v":2,"cid":"` + key.String() + `","watch_count":1,"later":{"x":1}}`))
	f.Add([]byte(`{"v":9,"cid":"` + key.String() + `","kept":["new-reason"]}`))
	f.Add([]byte(`{"v":2,"cid":"` + key.String() + `"} }`))
	f.Add([]byte(`{"v":0}`))
	// encoding/json reads "\u212aept" (a Kelvin sign K) into "kept".
	f.Add([]byte(`{"v":2,"cid":"` + key.String() + `","\u212aept":["auto-seeded"],"later":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := decodeVideo(key, b)
		if err != nil {
			return
		}
		if !json.Valid(b) {
			t.Fatalf("%q is not one JSON value, yet decodes", b)
		}
		if err := v.validate(); err != nil {
			t.Fatalf("%q decodes to an invalid video: %v", b, err)
		}
		enc, err := encodeVideo(v)
		if err != nil {
			t.Fatalf("%q decodes but does not encode: %v", b, err)
		}
		v2, err := decodeVideo(key, enc)
		if err != nil {
			t.Fatalf("%q → %q: %v", b, enc, err)
		}
		if enc2, err := encodeVideo(v2); err != nil || !bytes.Equal(enc2, enc) {
			t.Fatalf("%q → %q → %q, %v", b, enc, enc2, err)
		}
		v2.WatchCount, v2.Title, v2.Kept = 7, "changed", Pinned
		enc3, err := encodeVideo(v2)
		if err != nil {
			t.Fatal(err)
		}
		if v3, err := decodeVideo(key, enc3); err != nil || v3.WatchCount != 7 || v3.Title != "changed" || v3.Kept != Pinned {
			t.Fatalf("%q: saved watch count 7, title changed, pinned as %q, read %d %q %v, %v", b, enc3, v3.WatchCount, v3.Title, v3.Kept, err)
		}
	})
}
