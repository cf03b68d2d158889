package gwfetch

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzNormalize: a gateway base URL normalizes to one that normalizes to
// itself, and the request built on it (base + "/ipfs/CID?format=raw")
// goes to the same scheme and host, with only that query.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"https://ipfs.io", "https://ipfs.io/", "https://ipfs.io/ipfs/", " http://127.0.0.1:8080 ",
		"https://gw.example/base/", "ftp://x", "https://", "https://u:p@h", "https://h/?q", "https://h/#f",
		"https://h/a%3Fb", "https://h/a%20b", "https://h/ipfs/ipfs", "https://[::1]:8080/x"} {
		f.Add(s)
	}
	const c = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"
	f.Fuzz(func(t *testing.T, raw string) {
		base, err := normalize(raw)
		if err != nil {
			return
		}
		if again, err := normalize(base); err != nil || again != base {
			t.Fatalf("normalize(%q) = %q, which normalizes to %q, %v", raw, base, again, err)
		}
		in, _ := url.Parse(strings.TrimSpace(raw)) // normalize parsed it already
		if in == nil {
			return
		}
		req, err := url.Parse(base + "/ipfs/" + c + "?format=raw")
		if err != nil {
			t.Fatalf("normalize(%q) = %q: request URL: %v", raw, base, err)
		}
		if req.Scheme != in.Scheme || req.Host != in.Host || req.RawQuery != "format=raw" || req.Fragment != "" {
			t.Fatalf("normalize(%q) = %q: requests go to %s://%s ?%s #%s", raw, base, req.Scheme, req.Host, req.RawQuery, req.Fragment)
		}
	})
}
