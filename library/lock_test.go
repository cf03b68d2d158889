package library

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// holderEnv makes the test binary, run again, open a catalog and hold it:
// the other process of TestOpenHeldByAnotherProcess.
const holderEnv = "LIBRARY_TEST_HOLD_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(holderEnv); dir != "" {
		os.Exit(holdCatalog(dir))
	}
	os.Exit(m.Run())
}

// holdCatalog opens the catalog, says "ready" and keeps it open until its
// stdin closes.
func holdCatalog(dir string) int {
	c, err := Open(context.Background(), dir)
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		return 1
	}
	os.Stdout.WriteString("ready\n")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	if err := c.Close(); err != nil {
		return 1
	}
	return 0
}

func TestOpenHeldByAnotherProcess(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "library")

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), holderEnv+"="+dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		_ = cmd.Wait()
	})
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		ready <- line
	}()
	select {
	case line := <-ready:
		if strings.TrimSpace(line) != "ready" {
			t.Fatalf("holder process said %q, stderr %q", line, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("holder process not ready; stderr %q", stderr.String())
	}

	_, err = Open(ctx, dir)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("Open of a held catalog: %v, want ErrLocked", err)
	}
	if !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "another process") {
		t.Errorf("error %q should name the directory and the cause", err)
	}
	t.Logf("held catalog: %v", err)

	// Once the holder closes it, the catalog opens.
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("holder process: %v, stderr %q", err, stderr.String())
	}
	c, err := Open(ctx, dir)
	if err != nil {
		t.Fatalf("Open after the holder exited: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestOpenTwiceInProcess(t *testing.T) {
	c, dir := openTemp(t)
	if _, err := Open(context.Background(), dir); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
	// The first handle still works.
	if _, err := c.List(context.Background(), ListOptions{}); err != nil {
		t.Fatal(err)
	}
}
