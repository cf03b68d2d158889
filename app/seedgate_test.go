package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/ipfs-tube/ipfs-tube/app/internal/settings"
	"github.com/ipfs-tube/ipfs-tube/internal/nodelib"
	"github.com/ipfs-tube/ipfs-tube/internal/testclock"
	"github.com/ipfs-tube/ipfs-tube/library"
	"github.com/ipfs-tube/ipfs-tube/node"
)

// gateRig is a real node (not started: limits apply before Start) and a
// real auto-seeding engine behind a gate on a clock the test moves.
type gateRig struct {
	n      *node.Node
	seeder *library.AutoSeeder
	clock  *testclock.Clock
	gate   *seedingGate
}

func newGateRig(t *testing.T, at time.Time) *gateRig {
	t.Helper()
	ctx := context.Background()
	repo := filepath.Join(t.TempDir(), "repo")
	n, err := node.New(ctx, node.Config{Repo: repo})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	cat, err := library.Open(ctx, catalogDir(repo))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cat.Close() })
	keeper, err := library.NewKeeper(ctx, cat, nodelib.Store{N: n})
	if err != nil {
		t.Fatal(err)
	}
	seeder, err := library.NewAutoSeeder(ctx, cat, keeper, nodelib.Seed{Store: nodelib.Store{N: n}})
	if err != nil {
		t.Fatal(err)
	}
	r := &gateRig{n: n, seeder: seeder, clock: testclock.New(at)}
	r.gate = newSeedingGate(n, seeder, r.clock, slog.Default())
	t.Cleanup(r.gate.Close)
	return r
}

// expect checks the node's caps and the engine's switches.
func (r *gateRig) expect(t *testing.T, upload, download int64, enabled, paused bool) {
	t.Helper()
	if got := r.n.UploadLimit(); got != upload {
		t.Errorf("upload limit %d, want %d", got, upload)
	}
	if got := r.n.DownloadLimit(); got != download {
		t.Errorf("download limit %d, want %d", got, download)
	}
	if r.seeder.Enabled() != enabled || r.seeder.Paused() != paused {
		t.Errorf("auto-seeding enabled %v paused %v, want %v and %v", r.seeder.Enabled(), r.seeder.Paused(), enabled, paused)
	}
}

func TestSeedingGateFollowsSettings(t *testing.T) {
	r := newGateRig(t, time.Date(2025, 3, 1, 12, 0, 0, 0, time.Local))
	st := settings.Defaults()
	r.gate.Set(choiceFrom(st))
	r.expect(t, 0, 0, false, false) // defaults: no caps, auto-seeding opt-in

	st.UploadCap, st.DownloadCap, st.AutoSeed = 5<<20, 2<<20, true
	r.gate.Set(choiceFrom(st))
	r.expect(t, 5<<20, 2<<20, true, false)

	// Pausing keeps the engine on (what it seeds stays) and paused.
	st.SeedingPaused = true
	r.gate.Set(choiceFrom(st))
	r.expect(t, pausedUploadLimit, 2<<20, true, true)
	if paused, outside := r.gate.Paused(); !paused || outside {
		t.Errorf("Paused() = %v, %v; want paused by the user", paused, outside)
	}

	st.SeedingPaused, st.UploadCap = false, 0
	r.gate.Set(choiceFrom(st))
	r.expect(t, 0, 2<<20, true, false)

	// Hours that do not parse (a hand-edited file) mean always.
	st.SeedHours = "whenever"
	r.gate.Set(choiceFrom(st))
	r.expect(t, 0, 2<<20, true, false)
	if !r.gate.Hours().Always() {
		t.Errorf("unreadable hours read as %v", r.gate.Hours())
	}
}

// Through a day of the test clock with a night window: seeding runs at
// night only; a pause by the user holds in the window too; new hours
// apply at once.
func TestSeedingGateFollowsHours(t *testing.T) {
	day := func(h, m int) time.Time { return time.Date(2025, 3, 1, h, m, 0, 0, time.Local) }
	r := newGateRig(t, day(20, 0))
	st := settings.Defaults()
	st.UploadCap, st.AutoSeed, st.SeedHours = 4<<20, true, "23:00-07:00"
	r.gate.Set(choiceFrom(st))
	r.expect(t, pausedUploadLimit, 0, true, true) // 20:00: outside
	if paused, outside := r.gate.Paused(); !paused || !outside {
		t.Errorf("Paused() = %v, %v at 20:00; want paused by the hours", paused, outside)
	}

	r.clock.Step(t, day(23, 0))
	waitGate(t, "the window to open", func() bool { return r.n.UploadLimit() == 4<<20 })
	r.expect(t, 4<<20, 0, true, false)

	st.SeedingPaused = true // the user pauses in the night
	r.gate.Set(choiceFrom(st))
	r.expect(t, pausedUploadLimit, 0, true, true)
	st.SeedingPaused = false
	r.gate.Set(choiceFrom(st))
	r.expect(t, 4<<20, 0, true, false)

	r.clock.Step(t, day(31, 0)) // 07:00 the next morning
	waitGate(t, "the window to close", func() bool { return r.n.UploadLimit() == pausedUploadLimit })
	r.expect(t, pausedUploadLimit, 0, true, true)

	// Hours that cover the morning apply at once, without waiting for a tick.
	st.SeedHours = "06:00-12:00"
	r.gate.Set(choiceFrom(st))
	r.expect(t, 4<<20, 0, true, false)
	if got := r.gate.Hours().String(); got != "06:00-12:00" {
		t.Errorf("Hours() = %s", got)
	}
}

// waitGate polls what the gate's watcher sets from its own goroutine.
func waitGate(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testclock.WaitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-time.After(5 * time.Millisecond) // polling interval
	}
}
