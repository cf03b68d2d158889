package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ipfs-tube/ipfs-tube/app/internal/settings"
	"github.com/ipfs-tube/ipfs-tube/internal/nodelib"
	"github.com/ipfs-tube/ipfs-tube/library"
	"github.com/ipfs-tube/ipfs-tube/node"
)

// seedingHooks let a test make the seeding engine fail the way a broken
// disk would; nil in the program.
type seedingHooks struct {
	store func(library.Store) library.Store // wraps the keeper's store
	opts  []library.SeedingOption
}

// startSeeding builds the repo holder's seeding engine (quota keeper,
// auto-seeder, seeding gate) over the node and the catalog, applies the
// user's choice and starts it. The window and the daemon both start theirs
// here, so they seed alike; the engine logs its own failure, which each
// shows (status line, `ipfs-tube seeding`).
func (c *cli) startSeeding(ctx context.Context, n *node.Node, cat *library.Catalog, choice library.SeedingChoice) (*library.Seeding, error) {
	store := nodelib.Store{N: n}
	var keeperStore library.Store = store
	if c.hooks.store != nil {
		keeperStore = c.hooks.store(store)
	}
	opts := append([]library.SeedingOption{
		library.WithSeedingLogger(c.log),
		library.WithKeeperOptions(library.WithQuota(c.g.quota)),
		library.WithAutoSeedOptions(library.WithPrivate(c.g.private)),
	}, c.hooks.opts...)
	s, err := library.NewSeeding(ctx, cat, keeperStore, nodelib.Seed{Store: store}, n, opts...)
	if err != nil {
		return nil, fmt.Errorf("seeding: %w", err)
	}
	// Before the engine's first round: outside the hours it starts paused.
	s.Set(choice)
	if err := s.Start(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("seeding: %w", err), s.Close())
	}
	return s, nil
}

// choiceFrom reads the seeding choice out of settings. Seeding hours that
// do not parse (a hand-edited file; Validate refuses them) mean always.
func choiceFrom(st settings.Settings) library.SeedingChoice {
	hours, _ := library.ParseSeedHours(st.SeedHours)
	return library.SeedingChoice{UploadCap: st.UploadCap, DownloadCap: st.DownloadCap, Paused: st.SeedingPaused,
		AutoSeed: st.AutoSeed, Hours: hours}
}

// daemonChoice is the seeding choice the daemon's flags make.
func (c *cli) daemonChoice() library.SeedingChoice {
	return library.SeedingChoice{UploadCap: c.g.uploadLimit, DownloadCap: c.g.downloadLimit,
		AutoSeed: c.g.autoSeed, Hours: c.g.seedHours}
}

// seedingStopReason says why the seeding engine stopped, for the status
// line and `ipfs-tube seeding` ("quota keeper: …"); "" for nil.
func seedingStopReason(err error) string {
	if err == nil {
		return ""
	}
	return strings.TrimPrefix(err.Error(), library.ErrSeedingStopped.Error()+": ")
}
