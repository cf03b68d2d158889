package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/ipfs-tube/ipfs-tube/node"
	"github.com/ipfs-tube/ipfs-tube/playback"
)

// commit is the git commit the binary was built from, set by the Makefile
// (-ldflags "-X main.commit=…"); empty for a plain go build.
var commit string

// versionText is what `ipfs-tube version` and `--version` print: our
// version and commit, then what a bug report needs about the parts.
func versionText() string {
	var b strings.Builder
	c := commit
	if c == "" {
		c = "unknown commit"
	}
	fmt.Fprintf(&b, "ipfs-tube %s (%s)\n", node.Version, c)
	deps := map[string]string{}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, d := range info.Deps {
			deps[d.Path] = d.Version
		}
	}
	for _, path := range []string{"github.com/ipfs/boxo", "github.com/libp2p/go-libp2p", "fyne.io/fyne/v2"} {
		fmt.Fprintf(&b, "%s %s\n", path, orNotRecorded(deps[path]))
	}
	fmt.Fprintf(&b, "libmpv binding (playback) %s\n", orNotRecorded(playback.BindingVersion()))
	major, minor := playback.ClientAPIVersion()
	shim := ""
	if playback.CompatShim() {
		shim = ", built with the libmpv 0.35 shim"
	}
	fmt.Fprintf(&b, "libmpv client API %d.%d%s\n", major, minor, shim)
	fmt.Fprintf(&b, "%s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return b.String()
}

func orNotRecorded(v string) string {
	if v == "" {
		return "(not recorded)"
	}
	return v
}
