package library

import (
	"bufio"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipfs-tube/ipfs-tube/internal/childproc"
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

	holder := childproc.Start(t, holderEnv+"="+dir)
	if line := holder.Line(t, 30*time.Second); strings.TrimSpace(line) != "ready" {
		t.Fatalf("holder process said %q", line)
	}

	_, err := Open(ctx, dir)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("Open of a held catalog: %v, want ErrLocked", err)
	}
	if !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "another process") {
		t.Errorf("error %q should name the directory and the cause", err)
	}
	t.Logf("held catalog: %v", err)

	// Once the holder closes it, the catalog opens.
	holder.Stop(t)
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
