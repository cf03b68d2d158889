// Package link parses what a user pastes or a protocol handler passes to
// name a video: a CID, an ipfs:// or ipns:// link, an /ipfs/ or /ipns/
// path, or a path or subdomain gateway link, which becomes a CID so the
// bytes come through our own node.
//
//	t, err := link.Parse("https://ipfs.io/ipfs/bafy…/clip.mp4")
//	// t.Cid = bafy…, t.Path = "clip.mp4"
//
// Links (ipfs://, ipns://, http(s) gateway links) are URLs: a query and
// a fragment are dropped and percent-escapes in the path are decoded,
// so "ipfs://CID/my%20clip.mp4" names "my clip.mp4" whichever form the
// link takes. Content paths (/ipfs/…, /ipns/…) and bare CIDs are taken
// literally, as Target.String writes them, so Parse(t.String()) gives t
// back for every t Parse returns (FuzzParse holds it to that). A path
// loses slashes and white space at its ends. An IPNS name holds no
// white space or control characters.
package link

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode"

	"github.com/ipfs/go-cid"
)

// Target is what a user named: an IPFS CID (with an optional path below
// it) or an IPNS name.
type Target struct {
	Cid  cid.Cid // set for /ipfs/ targets
	IPNS string  // set for /ipns/ targets
	Path string  // below the root, without leading slash; "" for the root
}

// String is the target as a content path: /ipfs/CID[/path] or /ipns/NAME[/path].
func (t Target) String() string {
	root := "/ipfs/" + t.Cid.String()
	if t.IPNS != "" {
		root = "/ipns/" + t.IPNS
	}
	if t.Path != "" {
		return root + "/" + t.Path
	}
	return root
}

// ErrNotLink is wrapped by every Parse error.
var ErrNotLink = errors.New("not a CID or IPFS link")

// Parse accepts a CID, /ipfs/CID[/path], ipfs://CID[/path],
// /ipns/NAME[/path], ipns://NAME[/path], and gateway links
// (https://HOST/ipfs/CID…, https://CID.ipfs.HOST/…), so the bytes come
// through our own node.
func Parse(s string) (Target, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Target{}, fmt.Errorf("empty input: %w", ErrNotLink)
	}
	switch {
	case strings.HasPrefix(s, "ipfs://"):
		return parseSchemeURL(s, "ipfs", strings.TrimPrefix(s, "ipfs://"))
	case strings.HasPrefix(s, "ipns://"):
		return parseSchemeURL(s, "ipns", strings.TrimPrefix(s, "ipns://"))
	case strings.HasPrefix(s, "/ipfs/"):
		return fromPath(s, "ipfs", strings.TrimPrefix(s, "/ipfs/"))
	case strings.HasPrefix(s, "/ipns/"):
		return fromPath(s, "ipns", strings.TrimPrefix(s, "/ipns/"))
	case strings.HasPrefix(s, "http://"), strings.HasPrefix(s, "https://"):
		return parseGatewayURL(s)
	default:
		return fromPath(s, "ipfs", s)
	}
}

// parseSchemeURL reads what follows ipfs:// or ipns://.
func parseSchemeURL(s, ns, rest string) (Target, error) {
	rest, _, _ = strings.Cut(rest, "#")
	rest, _, _ = strings.Cut(rest, "?")
	root, sub, _ := strings.Cut(rest, "/")
	sub, err := url.PathUnescape(sub)
	if err != nil {
		return Target{}, fmt.Errorf("%q: %w (%v)", s, ErrNotLink, err)
	}
	return target(s, ns, root, sub)
}

// fromPath reads ROOT[/path] below /ipfs/ or /ipns/, literally.
func fromPath(s, ns, rest string) (Target, error) {
	root, sub, _ := strings.Cut(rest, "/")
	return target(s, ns, root, sub)
}

// target checks root (a CID or IPNS name) and tidies the path below it.
func target(s, ns, root, sub string) (Target, error) {
	sub = strings.TrimFunc(sub, func(r rune) bool { return r == '/' || unicode.IsSpace(r) })
	if ns == "ipns" {
		if root == "" {
			return Target{}, fmt.Errorf("%q: no IPNS name: %w", s, ErrNotLink)
		}
		if strings.ContainsFunc(root, func(r rune) bool { return r == '/' || unicode.IsSpace(r) || !unicode.IsPrint(r) }) {
			return Target{}, fmt.Errorf("%q: IPNS name %q has spaces or control characters: %w", s, root, ErrNotLink)
		}
		return Target{IPNS: root, Path: sub}, nil
	}
	c, err := cid.Decode(root)
	if err != nil {
		return Target{}, fmt.Errorf("%q: %w (%v)", s, ErrNotLink, err)
	}
	return Target{Cid: c, Path: sub}, nil
}

func parseGatewayURL(s string) (Target, error) {
	u, err := url.Parse(s)
	if err != nil {
		return Target{}, fmt.Errorf("%q: %w", s, ErrNotLink)
	}
	// Subdomain gateways: https://CID.ipfs.HOST/path
	if label, restHost, ok := strings.Cut(u.Hostname(), "."); ok {
		for _, ns := range []string{"ipfs", "ipns"} {
			if strings.HasPrefix(restHost, ns+".") {
				if ns == "ipns" {
					label = inlinedDNSLink(label)
				}
				return target(s, ns, label, u.Path)
			}
		}
	}
	// Path gateways: https://HOST/ipfs/CID/path
	for _, ns := range []string{"ipfs", "ipns"} {
		if rest, ok := strings.CutPrefix(u.Path, "/"+ns+"/"); ok {
			return fromPath(s, ns, rest)
		}
	}
	return Target{}, fmt.Errorf("%q is a web address, not an IPFS gateway link: %w", s, ErrNotLink)
}

// inlinedDNSLink undoes how subdomain gateways fit a DNSLink domain into
// one DNS label ("en-wikipedia--on--ipfs-org" is en.wikipedia-on-ipfs.org).
// Labels without a dash (peer IDs, CIDs) pass through.
func inlinedDNSLink(label string) string {
	if !strings.Contains(label, "-") {
		return label
	}
	const placeholder = "\x00"
	label = strings.ReplaceAll(label, "--", placeholder)
	label = strings.ReplaceAll(label, "-", ".")
	return strings.ReplaceAll(label, placeholder, "-")
}
