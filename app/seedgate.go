package main

import (
	"context"
	"log/slog"
	"sync"

	"github.com/ipfs-tube/ipfs-tube/app/internal/settings"
	"github.com/ipfs-tube/ipfs-tube/library"
)

// seedingChoice is what the user chose about seeding: from Settings in the
// window, from flags in the daemon.
type seedingChoice struct {
	uploadCap, downloadCap int64 // bytes/s; 0 is unlimited
	paused                 bool  // the Pause button
	autoSeed               bool
	hours                  library.SeedHours // when seeding may run
}

// choiceFrom reads the seeding choice out of settings. Seeding hours that
// do not parse (a hand-edited file; Validate refuses them) mean always.
func choiceFrom(st settings.Settings) seedingChoice {
	hours, _ := library.ParseSeedHours(st.SeedHours)
	return seedingChoice{uploadCap: st.UploadCap, downloadCap: st.DownloadCap, paused: st.SeedingPaused,
		autoSeed: st.AutoSeed, hours: hours}
}

// pausedUploadLimit is the upload cap while seeding is paused: a block
// would take days, so nothing of substance goes out and peers' requests
// time out and go elsewhere, while the node stays connected.
const pausedUploadLimit = 1

// rateLimiter is the part of the node the gate sets.
type rateLimiter interface {
	SetUploadLimit(bytesPerSecond int64)
	SetDownloadLimit(bytesPerSecond int64)
}

// autoSeeding is the part of the auto-seeding engine the gate sets.
type autoSeeding interface {
	SetEnabled(on bool)
	SetPaused(on bool)
}

// seedingGate applies the seeding choice to the node and the auto-seeding
// engine, and follows the seeding hours: outside them, or paused, the
// upload cap drops to pausedUploadLimit and auto-seeding pauses (its
// fetch under way stops; what it seeds stays pinned). The download cap
// applies to seeding fetches only, whenever they run.
type seedingGate struct {
	node   rateLimiter
	seeder autoSeeding // nil: no engine
	clock  library.Clock
	log    *slog.Logger

	mu        sync.Mutex
	want      seedingChoice
	inHours   bool
	stopWatch context.CancelFunc // ends the hours watcher; nil before Set
	watching  sync.WaitGroup
}

func newSeedingGate(n rateLimiter, seeder autoSeeding, clock library.Clock, log *slog.Logger) *seedingGate {
	return &seedingGate{node: n, seeder: seeder, clock: clock, log: log, inHours: true}
}

// Set applies c at once; a change of hours restarts the watch of the
// window from now.
func (g *seedingGate) Set(c seedingChoice) {
	g.mu.Lock()
	hoursChanged := g.stopWatch == nil || c.hours != g.want.hours
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
	// The first call applies before the watcher runs on, so Set returns
	// with the choice in force.
	first := make(chan struct{})
	g.watching.Add(1)
	g.mu.Unlock()
	go func() {
		defer g.watching.Done()
		once := sync.OnceFunc(func() { close(first) })
		defer once()
		library.WatchSeedHours(ctx, c.hours, g.clock, func(open bool) {
			defer once()
			g.mu.Lock()
			defer g.mu.Unlock()
			if ctx.Err() != nil {
				return // a newer Set owns the gate
			}
			if open != g.inHours {
				g.log.Info("seeding hours", "hours", c.hours.String(), "seeding", open)
			}
			g.inHours = open
			g.applyLocked()
		})
	}()
	<-first
}

// Paused reports whether seeding is paused now, and whether by the hours.
func (g *seedingGate) Paused() (paused, outsideHours bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.want.paused || !g.inHours, !g.inHours
}

// Hours are the seeding hours in force.
func (g *seedingGate) Hours() library.SeedHours {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.want.hours
}

func (g *seedingGate) applyLocked() {
	paused := g.want.paused || !g.inHours
	upload := g.want.uploadCap
	if paused {
		upload = pausedUploadLimit
	}
	g.node.SetUploadLimit(upload)
	g.node.SetDownloadLimit(g.want.downloadCap)
	if g.seeder != nil {
		g.seeder.SetEnabled(g.want.autoSeed)
		g.seeder.SetPaused(paused)
	}
}

// Close stops following the hours; the limits stay as they are.
func (g *seedingGate) Close() {
	g.mu.Lock()
	if g.stopWatch != nil {
		g.stopWatch()
	}
	g.mu.Unlock()
	g.watching.Wait()
}
