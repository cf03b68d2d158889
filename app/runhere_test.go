package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
)

// runHere runs the CLI's run function in this process, with --isolated
// and the given repo, and returns what it printed and its exit code.
func runHere(t testing.TB, repo string, stdin io.Reader, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(append(args, "--isolated", "--repo", repo), stdin, &out, &errb)
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// runHereWithin is runHere bounded by limit: a command that should
// fail at once but waits instead fails the test (the run goes on in the
// background until the test binary exits).
func runHereWithin(t testing.TB, limit time.Duration, repo string, args ...string) result {
	t.Helper()
	done := make(chan result, 1)
	go func() { done <- runHere(t, repo, nil, args...) }()
	select {
	case r := <-done:
		return r
	case <-time.After(limit):
		t.Fatalf("ipfs-tube %s: still running after %v", strings.Join(args, " "), limit)
		return result{}
	}
}
