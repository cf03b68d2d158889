// Package childproc runs the test binary again as a helper process — a
// seeder, a holder of a lock — that talks to the test over its stdin and
// stdout, so what the helper does (its memory, its locks) is not the
// test's.
//
// # Usage
//
//	// In TestMain: if os.Getenv(env) != "" { runHelper(); return }
//	child := childproc.Start(t, env+"="+arg)
//	line := child.Line(t, 30*time.Second) // first line the helper prints
//	child.Stop(t)                         // closes stdin: the helper exits
package childproc

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/ipfs-tube/ipfs-tube/internal/syncbuf"
)

// Child is a running helper process.
type Child struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string
	stderr *syncbuf.Buffer
	once   sync.Once
	err    error
}

// Start runs the test binary with no tests selected and env added to its
// environment (TestMain dispatches on it). The helper is stopped when the
// test ends.
func Start(t testing.TB, env ...string) *Child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env...)
	c := &Child{cmd: cmd, lines: make(chan string, 64), stderr: &syncbuf.Buffer{}}
	cmd.Stderr = c.stderr
	var err error
	if c.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(c.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() { c.wait() })
	return c
}

// Line returns the helper's next line of output, failing the test if none
// comes within limit.
func (c *Child) Line(t testing.TB, limit time.Duration) string {
	t.Helper()
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case line, ok := <-c.lines:
		if !ok {
			t.Fatalf("helper process ended without a line; stderr %q", c.stderr.String())
		}
		return line
	case <-timer.C:
		t.Fatalf("helper process said nothing within %v; stderr %q", limit, c.stderr.String())
	}
	return ""
}

// Stop closes the helper's stdin (its cue to finish) and waits for it,
// failing the test if it exits with an error.
func (c *Child) Stop(t testing.TB) {
	t.Helper()
	if err := c.wait(); err != nil {
		t.Fatalf("helper process: %v; stderr %q", err, c.stderr.String())
	}
}

func (c *Child) wait() error {
	c.once.Do(func() {
		c.stdin.Close()
		for range c.lines { // drain, so the helper never blocks writing
		}
		c.err = c.cmd.Wait()
	})
	return c.err
}
