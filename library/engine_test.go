package library_test

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipfs-tube/ipfs-tube/internal/faildisk"
	"github.com/ipfs-tube/ipfs-tube/internal/nodelib"
	"github.com/ipfs-tube/ipfs-tube/internal/syncbuf"
	"github.com/ipfs-tube/ipfs-tube/library"
	"github.com/ipfs-tube/ipfs-tube/node"
)

// Issue 14: the keeper's Run gave up on nothing and its error was
// dropped. Now a keeper whose store keeps failing gives up, and the
// engine stops, logs the cause at error level and reports it.
func TestSeedingReportsKeeperFailure(t *testing.T) {
	ctx := context.Background()
	n, cat := openRepo(t)
	var logs syncbuf.Buffer
	failed := make(chan error, 1)
	s, err := library.NewSeeding(ctx, cat, faildisk.Store{Store: nodelib.Store{N: n}}, nodelib.Seed{Store: nodelib.Store{N: n}}, n,
		library.WithKeeperOptions(library.WithEnforceInterval(20*time.Millisecond), library.WithMaxEnforceFailures(3)),
		library.WithSeedingLogger(slog.New(slog.NewTextHandler(&logs, nil))),
		library.OnSeedingFailure(func(err error) { failed <- err }))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Failure(); err != nil {
		t.Fatalf("Failure() before Start = %v", err)
	}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case err = <-failed:
	case <-time.After(30 * time.Second):
		t.Fatalf("the engine did not report its keeper's failure within 30 s; log:\n%s", logs.String())
	}
	if !errors.Is(err, library.ErrSeedingStopped) || !errors.Is(err, faildisk.ErrIO) {
		t.Errorf("failure %q does not say seeding stopped for the disk's error", err)
	}
	if got := s.Failure(); got != err {
		t.Errorf("Failure() = %v, want %v", got, err)
	}
	log := logs.String()
	if !strings.Contains(log, "level=ERROR") || !strings.Contains(log, "input/output error") {
		t.Errorf("no error-level log line with the cause:\n%s", log)
	}
	// The auto-seeder stopped with it, so Close returns at once.
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Close did not return")
	}
	if err := s.Start(ctx); err == nil {
		t.Error("Start after Close succeeded")
	}
}

// openRepo opens a node (not started) and its catalog in a new repo.
func openRepo(t *testing.T) (*node.Node, *library.Catalog) {
	t.Helper()
	ctx := context.Background()
	repo := filepath.Join(t.TempDir(), "repo")
	n, err := node.New(ctx, node.Config{Repo: repo})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	cat, err := library.Open(ctx, filepath.Join(repo, "library"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cat.Close() })
	return n, cat
}

// A healthy engine runs until Close and reports nothing.
func TestSeedingRunsUntilClose(t *testing.T) {
	ctx := context.Background()
	n, cat := openRepo(t)
	store := nodelib.Store{N: n}
	s, err := library.NewSeeding(ctx, cat, store, nodelib.Seed{Store: store}, n,
		library.WithKeeperOptions(library.WithEnforceInterval(20*time.Millisecond), library.WithMaxEnforceFailures(1)))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx); err == nil {
		t.Error("a second Start succeeded")
	}
	// Several enforce rounds, each of which would end the engine if it
	// failed (one failure allowed).
	deadline := time.Now().Add(500 * time.Millisecond)
	for time.Now().Before(deadline) {
		if err := s.Failure(); err != nil {
			t.Fatalf("a healthy engine failed: %v", err)
		}
		<-time.After(20 * time.Millisecond) // sampling while rounds run
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Failure(); err != nil {
		t.Errorf("Failure() after Close = %v", err)
	}
}
