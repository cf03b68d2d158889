// Package link parses what a user pastes or a protocol handler passes to
// name a video: a CID, an ipfs:// or ipns:// link, an /ipfs/ or /ipns/
// path, or a path or subdomain gateway link, which becomes a CID so the
// bytes come through our own node.
//
//	t, err := link.Parse("https://ipfs.io/ipfs/bafy…/clip.mp4")
//	// t.Cid = bafy…, t.Path = "clip.mp4"
package link

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

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
	var ns, rest string
	switch {
	case strings.HasPrefix(s, "ipfs://"):
		ns, rest = "ipfs", strings.TrimPrefix(s, "ipfs://")
	case strings.HasPrefix(s, "ipns://"):
		ns, rest = "ipns", strings.TrimPrefix(s, "ipns://")
	case strings.HasPrefix(s, "/ipfs/"):
		ns, rest = "ipfs", strings.TrimPrefix(s, "/ipfs/")
	case strings.HasPrefix(s, "/ipns/"):
		ns, rest = "ipns", strings.TrimPrefix(s, "/ipns/")
	case strings.HasPrefix(s, "http://"), strings.HasPrefix(s, "https://"):
		return parseGatewayURL(s)
	default:
		ns, rest = "ipfs", s
	}
	rest, _, _ = strings.Cut(rest, "?")
	rest, _, _ = strings.Cut(rest, "#")
	root, sub, _ := strings.Cut(rest, "/")
	sub = strings.Trim(sub, "/")
	if ns == "ipns" {
		if root == "" {
			return Target{}, fmt.Errorf("%q: no IPNS name: %w", s, ErrNotLink)
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
				return Parse("/" + ns + "/" + label + u.EscapedPath())
			}
		}
	}
	// Path gateways: https://HOST/ipfs/CID/path
	if strings.HasPrefix(u.Path, "/ipfs/") || strings.HasPrefix(u.Path, "/ipns/") {
		return Parse(u.Path)
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
