package link

import (
	"errors"
	"testing"
)

func TestParseTarget(t *testing.T) {
	const c = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"
	for _, tc := range []struct{ in, want string }{
		{c, "/ipfs/" + c},
		{"  " + c + "\n", "/ipfs/" + c},
		{"QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG", "/ipfs/QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"},
		{"ipfs://" + c, "/ipfs/" + c},
		{"ipfs://" + c + "/video.mp4", "/ipfs/" + c + "/video.mp4"},
		{"/ipfs/" + c + "/a/b/", "/ipfs/" + c + "/a/b"},
		{"ipns://example.org", "/ipns/example.org"},
		{"/ipns/k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0v8", "/ipns/k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0v8"},
		{"https://ipfs.io/ipfs/" + c + "?filename=x.mp4", "/ipfs/" + c},
		{"https://" + c + ".ipfs.dweb.link/clip.webm", "/ipfs/" + c + "/clip.webm"},
		{"https://en-wikipedia--on--ipfs-org.ipns.dweb.link/wiki/", "/ipns/en.wikipedia-on-ipfs.org/wiki"},
	} {
		got, err := Parse(tc.in)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if got.String() != tc.want {
			t.Errorf("%q → %s, want %s", tc.in, got, tc.want)
		}
	}
	for _, bad := range []string{"", "hello", "bafy123", "/ipfs/", "ipns://", "https://example.com/video.mp4", "Qm!!!"} {
		if _, err := Parse(bad); !errors.Is(err, ErrNotLink) {
			t.Errorf("%q: got %v, want ErrNotLink", bad, err)
		}
	}
}
