package main

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestVersionNamesTheParts(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "repo")
	for _, args := range [][]string{{"--version"}, {"version"}} {
		out := mustRun(t, repo, args...)
		for _, want := range []string{"ipfs-tube 0.", "github.com/ipfs/boxo v0.43.0", "github.com/libp2p/go-libp2p v", "libmpv client API 2."} {
			if !strings.Contains(out, want) {
				t.Errorf("ipfs-tube %s printed %q, want a line with %q", args[0], out, want)
			}
		}
	}
}
