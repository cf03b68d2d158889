package main

import (
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// An unknown command is an error (exit 2), at the top level and below a
// group command; a group command alone still shows its help.
func TestCLIUnknownCommands(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "repo")
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"frob"}, `unknown command or link "frob"`},
		{[]string{"frob", "ls"}, `unknown command "frob"`},
		{[]string{"pin", "frob"}, `unknown command "frob" for "ipfs-tube pin"`},
		{[]string{"pin", "remotee", "ls"}, `unknown command "remotee" for "ipfs-tube pin"`},
		{[]string{"ad", "x"}, "did you mean add?"},
		{[]string{"completion", "frob"}, `unknown command "frob" for "ipfs-tube completion"`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := runHereWithin(t, time.Minute, repo, tc.args...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tc.msg) {
				t.Fatalf("exit %d, stderr %q; want %d mentioning %q", r.code, r.stderr, exitUsage, tc.msg)
			}
		})
	}
	if r := runHereWithin(t, time.Minute, repo, "pin"); r.code != exitOK || !strings.Contains(r.stdout, "ipfs-tube pin [command]") {
		t.Fatalf("pin alone: exit %d, stdout %q; want its help and exit 0", r.code, r.stdout)
	}
	// What opens the app stays valid: a file, a CID, a link.
	file, _ := writeRandomFile(t, 10)
	for _, arg := range []string{file, randomCID(t), "ipfs://" + randomCID(t)} {
		if err := rootArgs(c0().rootCommand(), []string{arg}); err != nil {
			t.Errorf("ipfs-tube %s: %v", arg, err)
		}
	}
}

// c0 is a cli that writes nowhere, for building commands in tests.
func c0() *cli { return &cli{stdin: nil, stdout: io.Discard, stderr: io.Discard} }

// A negative --timeout is a usage error, not a wait forever.
func TestCLINegativeTimeout(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "repo")
	r := runHereWithin(t, time.Minute, repo, "cat", randomCID(t), "--timeout", "-5s")
	if r.code != exitUsage || !strings.Contains(r.stderr, "--timeout") {
		t.Fatalf("exit %d, stderr %q; want %d about --timeout", r.code, r.stderr, exitUsage)
	}
	// 0 still means no limit: the command runs.
	if r := runHereWithin(t, time.Minute, repo, "id", "--timeout", "0"); r.code != exitOK {
		t.Fatalf("--timeout 0: exit %d: %s", r.code, r.stderr)
	}
}
