package link

import (
	"errors"
	"strings"
	"testing"
)

const seedCid = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"

// linkSeeds are TestParseTarget's inputs and a few edges.
var linkSeeds = []string{
	seedCid, "  " + seedCid + "\n", "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG",
	"ipfs://" + seedCid, "ipfs://" + seedCid + "/video.mp4", "/ipfs/" + seedCid + "/a/b/",
	"ipns://example.org", "/ipns/k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0v8",
	"https://ipfs.io/ipfs/" + seedCid + "?filename=x.mp4", "https://" + seedCid + ".ipfs.dweb.link/clip.webm",
	"https://en-wikipedia--on--ipfs-org.ipns.dweb.link/wiki/", "", "hello", "/ipfs/", "ipns://",
	"https://example.com/video.mp4", "Qm!!!", "ipfs://" + seedCid + "/my%20clip.mp4#t=10",
	"https://ipfs.io/ipfs/" + seedCid + "/what%3F.mp4", "/ipns/a b/c", "https://x.ipns.h/%zz",
}

// FuzzParse: whatever Parse accepts names one root (a CID or an IPNS
// name), a path without slashes or spaces at its ends, and reads back
// from its String as the same target; what it refuses wraps ErrNotLink.
func FuzzParse(f *testing.F) {
	for _, s := range linkSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrNotLink) {
				t.Fatalf("Parse(%q): %v does not wrap ErrNotLink", s, err)
			}
			return
		}
		if got.Cid.Defined() == (got.IPNS != "") {
			t.Fatalf("Parse(%q) = %+v: want a CID or an IPNS name", s, got)
		}
		if p := got.Path; p != strings.TrimSpace(strings.Trim(p, "/")) || strings.Trim(strings.TrimSpace(p), "/") != p {
			t.Fatalf("Parse(%q): path %q has slashes or spaces at its ends", s, p)
		}
		again, err := Parse(got.String())
		if err != nil || again.IPNS != got.IPNS || again.Path != got.Path || !again.Cid.Equals(got.Cid) {
			t.Fatalf("Parse(%q) = %+v, whose String %q reads as %+v, %v", s, got, got.String(), again, err)
		}
	})
}

// TestParseEscapes: links are URLs, so their escapes are decoded the
// same way in every form (the subdomain form used to keep "%20", the
// path form cut a file name at a decoded "?"), and the result reads
// back from its String.
func TestParseEscapes(t *testing.T) {
	for _, tc := range []struct{ in, path string }{
		{"https://" + seedCid + ".ipfs.dweb.link/my%20clip.webm", "my clip.webm"},
		{"https://dweb.link/ipfs/" + seedCid + "/my%20clip.webm", "my clip.webm"},
		{"ipfs://" + seedCid + "/my%20clip.webm?x=1#t=5", "my clip.webm"},
		{"https://ipfs.io/ipfs/" + seedCid + "/what%3F.mp4", "what?.mp4"},
		{"https://" + seedCid + ".ipfs.dweb.link/what%3F.mp4", "what?.mp4"},
		{"/ipfs/" + seedCid + "/100%.mp4", "100%.mp4"},
	} {
		got, err := Parse(tc.in)
		if err != nil || got.Path != tc.path {
			t.Errorf("Parse(%q) = path %q, %v; want %q", tc.in, got.Path, err, tc.path)
			continue
		}
		if again, err := Parse(got.String()); err != nil || again.Path != got.Path {
			t.Errorf("Parse(%q) → %q → path %q, %v", tc.in, got.String(), again.Path, err)
		}
	}
}
