package library

import (
	"context"
	"log/slog"
	"sync"
)

// SeedingChoice is what the user chose about seeding: from Settings in the
// window, from flags in the daemon.
type SeedingChoice struct {
	UploadCap, DownloadCap int64 // bytes/s; 0 is unlimited
	Paused                 bool  // the Pause button
	AutoSeed               bool
	Hours                  SeedHours // when seeding may run
}

// PausedUploadLimit is the upload cap while seeding is paused: a block
// would take days, so nothing of substance goes out and peers' requests
// time out and go elsewhere, while the node stays connected.
const PausedUploadLimit = 1

// RateLimiter is the part of the node the seeding gate sets: the cap on
// what it serves and the cap on what it fetches for seeding.
type RateLimiter interface {
	SetUploadLimit(bytesPerSecond int64)
	SetDownloadLimit(bytesPerSecond int64)
}

// seedGate applies the seeding choice to the node and the auto-seeding
// engine, and follows the seeding hours: outside them, or paused, the
// upload cap drops to PausedUploadLimit and auto-seeding pauses (its
// fetch under way stops; what it seeds stays pinned). The download cap
// applies to seeding fetches only, whenever they run.
type seedGate struct {
	node   RateLimiter
	seeder *AutoSeeder
	clock  Clock
	log    *slog.Logger

	mu        sync.Mutex
	want      SeedingChoice
	inHours   bool
	stopWatch context.CancelFunc // ends the hours watcher; nil before set
	watching  sync.WaitGroup
}

func newSeedGate(n RateLimiter, seeder *AutoSeeder, clock Clock, log *slog.Logger) *seedGate {
	return &seedGate{node: n, seeder: seeder, clock: clock, log: log, inHours: true}
}

// set applies c at once; a change of hours restarts the watch of the
// window from now.
func (g *seedGate) set(c SeedingChoice) {
	g.mu.Lock()
	hoursChanged := g.stopWatch == nil || c.Hours != g.want.Hours
	g.want = c
	if !hoursChanged {
		g.applyLocked()
		g.mu.Unlock()
		return
	}
	if g.stopWatch != nil {
		g.stopWatch()
	}
	ctx, cancel := context.WithCancel(context.Background())
	g.stopWatch = cancel
	// The first call applies before the watcher runs on, so set returns
	// with the choice in force.
	first := make(chan struct{})
	g.watching.Add(1)
	g.mu.Unlock()
	go func() {
		defer g.watching.Done()
		once := sync.OnceFunc(func() { close(first) })
		defer once()
		WatchSeedHours(ctx, c.Hours, g.clock, func(open bool) {
			defer once()
			g.mu.Lock()
			defer g.mu.Unlock()
			if ctx.Err() != nil {
				return // a newer set owns the gate
			}
			if open != g.inHours {
				g.log.Info("seeding hours", "hours", c.Hours.String(), "seeding", open)
			}
			g.inHours = open
			g.applyLocked()
		})
	}()
	<-first
}

// started reports whether set was ever called.
func (g *seedGate) started() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.stopWatch != nil
}

// paused reports whether seeding is paused now, and whether by the hours.
func (g *seedGate) paused() (paused, outsideHours bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.want.Paused || !g.inHours, !g.inHours
}

// hours are the seeding hours in force.
func (g *seedGate) hours() SeedHours {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.want.Hours
}

func (g *seedGate) applyLocked() {
	paused := g.want.Paused || !g.inHours
	upload := g.want.UploadCap
	if paused {
		upload = PausedUploadLimit
	}
	g.node.SetUploadLimit(upload)
	g.node.SetDownloadLimit(g.want.DownloadCap)
	g.seeder.SetEnabled(g.want.AutoSeed)
	g.seeder.SetPaused(paused)
}

// close stops following the hours; the limits stay as they are.
func (g *seedGate) close() {
	g.mu.Lock()
	if g.stopWatch != nil {
		g.stopWatch()
	}
	g.mu.Unlock()
	g.watching.Wait()
}
