package main

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/ipfs/go-cid"
)

// target is what a user named: an IPFS CID (with an optional path below
// it) or an IPNS name.
type target struct {
	cid  cid.Cid // set for /ipfs/ targets
	ipns string  // set for /ipns/ targets
	path string  // below the root, without leading slash; "" for the root
}

func (t target) String() string {
	root := "/ipfs/" + t.cid.String()
	if t.ipns != "" {
		root = "/ipns/" + t.ipns
	}
	if t.path != "" {
		return root + "/" + t.path
	}
	return root
}

var errBadTarget = errors.New("not a CID or IPFS link")

// parseTarget accepts a CID, /ipfs/CID[/path], ipfs://CID[/path],
// /ipns/NAME[/path], ipns://NAME[/path], and gateway links
// (https://HOST/ipfs/CID…, https://CID.ipfs.HOST/…), so the bytes come
// through our own node.
func parseTarget(s string) (target, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return target{}, fmt.Errorf("empty input: %w", errBadTarget)
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
			return target{}, fmt.Errorf("%q: no IPNS name: %w", s, errBadTarget)
		}
		return target{ipns: root, path: sub}, nil
	}
	c, err := cid.Decode(root)
	if err != nil {
		return target{}, fmt.Errorf("%q: %w (%v)", s, errBadTarget, err)
	}
	return target{cid: c, path: sub}, nil
}

func parseGatewayURL(s string) (target, error) {
	u, err := url.Parse(s)
	if err != nil {
		return target{}, fmt.Errorf("%q: %w", s, errBadTarget)
	}
	// Subdomain gateways: https://CID.ipfs.HOST/path
	if label, restHost, ok := strings.Cut(u.Hostname(), "."); ok {
		for _, ns := range []string{"ipfs", "ipns"} {
			if strings.HasPrefix(restHost, ns+".") {
				if ns == "ipns" {
					label = inlinedDNSLink(label)
				}
				return parseTarget("/" + ns + "/" + label + u.EscapedPath())
			}
		}
	}
	// Path gateways: https://HOST/ipfs/CID/path
	if strings.HasPrefix(u.Path, "/ipfs/") || strings.HasPrefix(u.Path, "/ipns/") {
		return parseTarget(u.Path)
	}
	return target{}, fmt.Errorf("%q is a web address, not an IPFS gateway link: %w", s, errBadTarget)
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
