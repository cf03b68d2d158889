package main

import (
	"bytes"
	"os"
	"os/exec"
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

// TestNoLocaleNoise runs a command under Debian's default server locale,
// C.UTF-8, which Fyne used to report as an unparsable language on every
// run (see app/internal/cleanlocale).
func TestNoLocaleNoise(t *testing.T) {
	for _, lang := range []string{"C.UTF-8", "POSIX.UTF-8"} {
		cmd := exec.Command(binPath, "version")
		cmd.Env = append(os.Environ(), "LANG="+lang, "LC_ALL=", "LC_MESSAGES=")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("LANG=%s ipfs-tube version: %v\n%s", lang, err, out)
		}
		if bytes.Contains(out, []byte("Fyne error")) || bytes.Contains(out, []byte("locale")) {
			t.Errorf("LANG=%s: output mentions the locale:\n%s", lang, out)
		}
	}
}
