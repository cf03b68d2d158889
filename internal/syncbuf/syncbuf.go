// Package syncbuf is a text buffer that one goroutine may write while
// another reads it: a child process's stderr or a logger's output that a
// test reads while the writer still runs.
//
//	var errs syncbuf.Buffer
//	cmd.Stderr = &errs
//	…
//	t.Fatalf("child failed: %s", errs.String())
package syncbuf

import (
	"strings"
	"sync"
)

// Buffer collects writes; its zero value is ready to use.
type Buffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *Buffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String is everything written so far.
func (l *Buffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
