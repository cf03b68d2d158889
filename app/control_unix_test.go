//go:build unix

package main

import (
	"context"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// add?path= naming a FIFO is refused at once rather than holding a holder
// thread until a writer comes (50 such calls left 50 threads stuck).
func TestControlAddRefusesFIFO(t *testing.T) {
	h := newTestHolder(t, nil)
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := h.client(t).Add(ctx, addSource{path: fifo, size: -1}, nil)
	if ctx.Err() != nil {
		t.Fatal("add of a FIFO still waits for a writer")
	}
	if exitCode(err) != exitUsage || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("add of a FIFO: %v (exit %d), want a usage error", err, exitCode(err))
	}
}
