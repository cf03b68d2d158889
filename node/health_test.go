package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ds "github.com/ipfs/go-datastore"
)

// TestRemovedRepoFailsNode: a node whose repo folder is removed under it
// reports a storage failure, and Close returns within a bound although
// Badger can no longer flush (it used to retry for ever, so Close and the
// daemon's shutdown never returned).
func TestRemovedRepoFailsNode(t *testing.T) {
	ctx := context.Background()
	repo := filepath.Join(t.TempDir(), "repo")
	n, err := New(ctx, Config{Repo: repo, Isolated: true})
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			n.Close()
		}
	})
	// Something in the memtable, so closing must flush it.
	if _, err := n.Import(ctx, newRandomReader(3, 3<<20)); err != nil {
		t.Fatal(err)
	}
	if n.Failure() != nil {
		t.Fatalf("failure before anything happened: %v", n.Failure())
	}
	if err := os.RemoveAll(repo); err != nil {
		t.Fatal(err)
	}
	select {
	case <-n.Failed():
	case <-time.After(repoCheckInterval + 20*time.Second):
		t.Fatal("no storage failure reported 20 s after the repo was removed")
	}
	if err := n.Failure(); !errors.Is(err, ErrStorageFailed) || !strings.Contains(err.Error(), "repo folder gone") {
		t.Fatalf("Failure() = %v; want ErrStorageFailed saying the repo folder is gone", err)
	}
	start := time.Now()
	errc := make(chan error, 1)
	go func() { errc <- n.Close() }()
	select {
	case err := <-errc:
		closed = true
		t.Logf("Close after %v: %v", time.Since(start).Round(time.Millisecond), err)
	case <-time.After(failedCloseWait + 20*time.Second):
		t.Fatal("Close did not return 20 s past its bound")
	}
}

// TestBadgerFlushFailureReported: Badger reports a failed memtable flush
// only in its log, and retries it for ever; the node's logger turns it
// into a storage failure.
func TestBadgerFlushFailureReported(t *testing.T) {
	dir := t.TempDir()
	health := newStorageHealth(slog.New(slog.NewTextHandler(io.Discard, nil)))
	store, _, err := openDatastore(dir, health)
	if err != nil {
		t.Fatal(err)
	}
	// The store can never be closed once its flush fails (that is the
	// bug being reported): it is left behind for the test binary's end.
	if err := os.RemoveAll(filepath.Join(dir, datastoreDir)); err != nil {
		t.Fatal(err)
	}
	// Values below the value threshold fill the 16 MiB memtable, whose
	// flush then has nowhere to go. Writes may block once both memtables
	// are full, so they run aside.
	go func() {
		val := make([]byte, 32<<10)
		for i := 0; i < 1200; i++ {
			if store.Put(context.Background(), ds.NewKey(fmt.Sprintf("/k/%d", i)), val) != nil {
				return
			}
		}
	}()
	select {
	case <-health.failed:
	case <-time.After(60 * time.Second):
		t.Fatal("no storage failure reported 60 s after the datastore folder was removed")
	}
	if err := health.failure(); !errors.Is(err, ErrStorageFailed) || !strings.Contains(err.Error(), "flushing memtable") {
		t.Fatalf("failure %v; want ErrStorageFailed naming the flush", err)
	}
}
