package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfs-tube/ipfs-tube/app/internal/settings"
	"github.com/ipfs-tube/ipfs-tube/internal/faildisk"
	"github.com/ipfs-tube/ipfs-tube/internal/syncbuf"
	"github.com/ipfs-tube/ipfs-tube/library"
	"github.com/ipfs-tube/ipfs-tube/node"
)

// failingSeeding makes c's seeding engine fail fast: its keeper's store
// cannot read the disk and gives up after two rounds 20 ms apart.
func failingSeeding(c *cli) {
	c.hooks = seedingHooks{
		store: func(s library.Store) library.Store { return faildisk.Store{Store: s} },
		opts: []library.SeedingOption{library.WithKeeperOptions(
			library.WithEnforceInterval(20*time.Millisecond), library.WithMaxEnforceFailures(2))},
	}
}

// waitFailure waits for the engine to have stopped on its own.
func waitFailure(t *testing.T, s *library.Seeding) error {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for s.Failure() == nil {
		if time.Now().After(deadline) {
			t.Fatal("the seeding engine did not stop on its broken disk within 30 s")
		}
		<-time.After(10 * time.Millisecond) // polling the engine's state
	}
	return s.Failure()
}

// Issue 14: a daemon whose seeding engine fails logs it at error level,
// keeps serving the node, and `ipfs-tube seeding` says seeding stopped
// and why.
func TestDaemonReportsSeedingFailure(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var logs syncbuf.Buffer
	repo := filepath.Join(t.TempDir(), "repo")
	c := &cli{stdout: io.Discard, stderr: io.Discard, log: slog.New(slog.NewTextHandler(&logs, nil))}
	c.g.repo, c.g.isolated = repo, true
	failingSeeding(c)
	n, ctl, stopKeeping, err := c.startServing(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := errors.Join(ctl.Close(), stopKeeping(), n.Close()); err != nil {
			t.Errorf("stopping the daemon: %v", err)
		}
	}()

	var rep seedingReport
	deadline := time.Now().Add(30 * time.Second)
	for rep.SeedingError == "" {
		if time.Now().After(deadline) {
			t.Fatalf("`seeding` never reported the engine's failure; daemon log:\n%s", logs.String())
		}
		if err := json.Unmarshal([]byte(mustRun(t, repo, "seeding", "--json")), &rep); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.Contains(rep.SeedingError, "quota keeper") || !strings.Contains(rep.SeedingError, "input/output error") {
		t.Errorf("seeding_error %q does not say what failed and why", rep.SeedingError)
	}
	if text := mustRun(t, repo, "seeding"); !strings.Contains(text, "Seeding stopped: quota keeper: ") {
		t.Errorf("`seeding` does not say seeding stopped:\n%s", text)
	}
	log := logs.String()
	if !strings.Contains(log, "level=ERROR") || !strings.Contains(log, "input/output error") {
		t.Errorf("the daemon did not log the failure at error level:\n%s", log)
	}
	// The node still serves: the control API answers, the node is up.
	if out := mustRun(t, repo, "id"); !strings.Contains(out, n.ID().String()) {
		t.Errorf("`id` through the daemon printed %q", out)
	}
}

// Issue 14: the window's status line says when its seeding engine
// stopped, and why. The engine is the window's own (startSeeding, as
// openApp builds it), on a node that has not started.
func TestWindowStatusShowsSeedingFailure(t *testing.T) {
	test.NewTempApp(t)
	ctx := context.Background()
	repo := filepath.Join(t.TempDir(), "repo")
	n, err := node.New(ctx, node.Config{Repo: repo})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	cat, err := library.Open(ctx, catalogDir(repo))
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	c := &cli{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	failingSeeding(c)
	engine, err := c.startSeeding(ctx, n, cat, choiceFrom(settings.Defaults()))
	if err != nil {
		t.Fatal(err)
	}
	defer engine.Close()
	services := newGUIServices(&localBackend{n: n, cat: cat, keeper: engine.Keeper(), seeding: engine}, cat, c.log)
	services.seeding = engine
	s := &shell{deps: guiDeps{services: services}, status: newStatusView(newFake(t))}
	s.status.setStarted(nil)

	waitFailure(t, engine)
	bar := widget.NewLabel("")
	showStatusLine(bar, s.snapshot())
	if got := bar.Text; !strings.Contains(got, " · Seeding stopped: quota keeper: ") || !strings.Contains(got, "input/output error") {
		t.Errorf("status line %q does not say seeding stopped and why", got)
	}
	if bar.Importance != widget.WarningImportance {
		t.Errorf("status line importance %v, want the warning colour", bar.Importance)
	}
}

// A running engine adds nothing to the status line.
func TestWindowStatusWhileSeeding(t *testing.T) {
	test.NewTempApp(t)
	s := &shell{deps: guiDeps{services: &guiServices{}}, status: newStatusView(newFake(t))}
	s.status.setStarted(nil)
	if got := s.snapshot().line().Text; strings.Contains(got, "Seeding") {
		t.Errorf("status line %q with a running engine", got)
	}
}

// Seeding hours that do not parse (a hand-edited file) mean always.
func TestChoiceFromSettings(t *testing.T) {
	st := settings.Defaults()
	st.UploadCap, st.DownloadCap, st.AutoSeed, st.SeedingPaused, st.SeedHours = 5<<20, 2<<20, true, true, "whenever"
	got := choiceFrom(st)
	want := library.SeedingChoice{UploadCap: 5 << 20, DownloadCap: 2 << 20, Paused: true, AutoSeed: true}
	if got != want || !got.Hours.Always() {
		t.Errorf("choiceFrom = %+v, want %+v", got, want)
	}
	st.SeedHours = "23:00-07:00"
	if got := choiceFrom(st).Hours.String(); got != "23:00-07:00" {
		t.Errorf("hours %s", got)
	}
}
