package library_test

import (
	"context"
	"testing"
	"time"

	"github.com/ipfs-tube/ipfs-tube/internal/nodelib"
	"github.com/ipfs-tube/ipfs-tube/internal/testclock"
	"github.com/ipfs-tube/ipfs-tube/library"
	"github.com/ipfs-tube/ipfs-tube/node"
)

// gateRig is a real node (not started: limits apply before Start) and a
// real seeding engine (not started either: Set applies before Start) on a
// clock the test moves.
type gateRig struct {
	n       *node.Node
	seeding *library.Seeding
	clock   *testclock.Clock
}

func newGateRig(t *testing.T, at time.Time) *gateRig {
	t.Helper()
	ctx := context.Background()
	n, cat := openRepo(t)
	r := &gateRig{n: n, clock: testclock.New(at)}
	store := nodelib.Store{N: n}
	var err error
	r.seeding, err = library.NewSeeding(ctx, cat, store, nodelib.Seed{Store: store}, n, library.WithSeedingClock(r.clock))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.seeding.Close() })
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
	seeder := r.seeding.AutoSeeder()
	if seeder.Enabled() != enabled || seeder.Paused() != paused {
		t.Errorf("auto-seeding enabled %v paused %v, want %v and %v", seeder.Enabled(), seeder.Paused(), enabled, paused)
	}
}

func TestSeedingGateFollowsChoice(t *testing.T) {
	r := newGateRig(t, time.Date(2025, 3, 1, 12, 0, 0, 0, time.Local))
	var c library.SeedingChoice
	r.seeding.Set(c)
	r.expect(t, 0, 0, false, false) // defaults: no caps, auto-seeding opt-in

	c.UploadCap, c.DownloadCap, c.AutoSeed = 5<<20, 2<<20, true
	r.seeding.Set(c)
	r.expect(t, 5<<20, 2<<20, true, false)

	// Pausing keeps the engine on (what it seeds stays) and paused.
	c.Paused = true
	r.seeding.Set(c)
	r.expect(t, library.PausedUploadLimit, 2<<20, true, true)
	if paused, outside := r.seeding.Paused(); !paused || outside {
		t.Errorf("Paused() = %v, %v; want paused by the user", paused, outside)
	}

	c.Paused, c.UploadCap = false, 0
	r.seeding.Set(c)
	r.expect(t, 0, 2<<20, true, false)
}

// Through a day of the test clock with a night window: seeding runs at
// night only; a pause by the user holds in the window too; new hours
// apply at once.
func TestSeedingGateFollowsHours(t *testing.T) {
	day := func(h, m int) time.Time { return time.Date(2025, 3, 1, h, m, 0, 0, time.Local) }
	hours := func(s string) library.SeedHours {
		h, err := library.ParseSeedHours(s)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	r := newGateRig(t, day(20, 0))
	c := library.SeedingChoice{UploadCap: 4 << 20, AutoSeed: true, Hours: hours("23:00-07:00")}
	r.seeding.Set(c)
	r.expect(t, library.PausedUploadLimit, 0, true, true) // 20:00: outside
	if paused, outside := r.seeding.Paused(); !paused || !outside {
		t.Errorf("Paused() = %v, %v at 20:00; want paused by the hours", paused, outside)
	}

	r.clock.Step(t, day(23, 0))
	waitGate(t, "the window to open", func() bool { return r.n.UploadLimit() == 4<<20 })
	r.expect(t, 4<<20, 0, true, false)

	c.Paused = true // the user pauses in the night
	r.seeding.Set(c)
	r.expect(t, library.PausedUploadLimit, 0, true, true)
	c.Paused = false
	r.seeding.Set(c)
	r.expect(t, 4<<20, 0, true, false)

	r.clock.Step(t, day(31, 0)) // 07:00 the next morning
	waitGate(t, "the window to close", func() bool { return r.n.UploadLimit() == library.PausedUploadLimit })
	r.expect(t, library.PausedUploadLimit, 0, true, true)

	// Hours that cover the morning apply at once, without waiting for a tick.
	c.Hours = hours("06:00-12:00")
	r.seeding.Set(c)
	r.expect(t, 4<<20, 0, true, false)
	if got := r.seeding.Hours().String(); got != "06:00-12:00" {
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
