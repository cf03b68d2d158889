package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/ipfs-tube/ipfs-tube/app/internal/settings"
	"github.com/ipfs-tube/ipfs-tube/internal/nodelib"
	"github.com/ipfs-tube/ipfs-tube/library"
	"github.com/ipfs-tube/ipfs-tube/node"
)

// catalogDir is where a repo keeps the app's catalog (library.Open).
func catalogDir(repo string) string { return filepath.Join(repo, "library") }

// openApp opens the desktop window on the repo; with open set, on that
// video (or uploading that file). The window shows before the node has
// started; once it has, the control API serves CLI commands, and hands a
// second `ipfs-tube LINK` to this window, for as long as the app runs.
func (c *cli) openApp(open string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	n, err := c.holdRepo(ctx)
	if errors.Is(err, node.ErrRepoLocked) {
		return c.handOffToRunning(ctx, open, err)
	}
	if err != nil {
		return err
	}
	c.integrateWithOS()
	cat, err := library.Open(ctx, catalogDir(n.RepoDir()), library.WithLogger(c.log))
	if err != nil {
		return errors.Join(fmt.Errorf("open the library: %w", err), n.Close())
	}
	keeper, err := library.NewKeeper(ctx, cat, nodelib.Store{N: n}, library.WithQuota(c.g.quota), library.WithKeeperLogger(c.log))
	if err != nil {
		return errors.Join(fmt.Errorf("storage quota: %w", err), cat.Close(), n.Close())
	}
	b := &localBackend{n: n, cat: cat, keeper: keeper, quota: c.g.quota}
	services := newGUIServices(b, cat, c.log)
	services.keeper = keeper
	services.playing = playReservation{keeper: keeper, log: c.log}
	seeder, err := library.NewAutoSeeder(ctx, cat, keeper, nodelib.Seed{Store: nodelib.Store{N: n}},
		library.WithSeeding(c.g.autoSeed), library.WithPrivate(c.g.private), library.WithAutoSeedLogger(c.log))
	if err != nil {
		return errors.Join(fmt.Errorf("auto-seeding: %w", err), cat.Close(), n.Close())
	}
	services.seeder = seeder
	// The saved choices apply before the engine's first round and the
	// node's start; the window's settings watch keeps them current.
	choice := choiceFrom(settings.Defaults())
	if c.saved != nil {
		choice = choiceFrom(*c.saved)
	}
	services.gate = newSeedingGate(n, seeder, library.SystemClock{}, c.log)
	services.gate.Set(choice)
	b.gate = services.gate
	keepCtx, stopKeeping := context.WithCancel(ctx)
	keeping := make(chan struct{})
	go func() {
		defer close(keeping)
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); keeper.Run(keepCtx) }()
		go func() { defer wg.Done(); seeder.Run(keepCtx) }()
		wg.Wait()
	}()
	deps := guiDeps{
		node:     n,
		services: services,
		catalog:  cat,
		settings: c.settings,
		saved:    c.saved,
		uploader: b.publisher(c.log),
		log:      c.log,
		private:  c.g.private,
	}
	var ctl *controlServer
	start := func(ctx context.Context, w windowControl) error {
		if err := n.Start(ctx); err != nil {
			return err
		}
		var err error
		ctl, err = serveControl(n.RepoDir(), b, c.log, w)
		return err
	}
	// runGUI returns only after start has returned, so ctl is settled, and
	// after the views stopped, so the catalog can close.
	guiErr := runGUI(ctx, deps, start, open)
	services.gate.Close()
	var ctlErr error
	if ctl != nil {
		ctlErr = ctl.Close()
	}
	b.closeGateway()
	stopKeeping()
	<-keeping
	services.playing.close()
	return errors.Join(guiErr, ctlErr, cat.Close(), n.Close())
}

// handOffToRunning gives open to the app window that holds the repo, so a
// link clicked in a browser or a file opened from a file manager lands in
// the window already open. lockErr is why this process could not open the
// repo itself.
func (c *cli) handOffToRunning(ctx context.Context, open string, lockErr error) error {
	ctl, err := readControl(c.g.repo)
	if errors.Is(err, errUnsafeToken) {
		return fmt.Errorf("%w: %w", lockErr, err)
	}
	if err != nil {
		return fmt.Errorf("IPFS-Tube is already running on %s but does not answer yet; try again in a moment: %w", c.g.repo, lockErr)
	}
	if err := ctl.handOff(ctx, open); err != nil {
		return err
	}
	if open != "" {
		fmt.Fprintf(c.stderr, "Opened %s in the running IPFS-Tube window.\n", open)
	}
	return nil
}
