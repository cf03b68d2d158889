package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/ipfs-tube/ipfs-tube/app/internal/settings"
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
	// The saved choices apply before the engine's first round and the
	// node's start; the window's settings watch keeps them current.
	choice := choiceFrom(settings.Defaults())
	if c.saved != nil {
		choice = choiceFrom(*c.saved)
	}
	engine, err := c.startSeeding(ctx, n, cat, choice)
	if err != nil {
		return errors.Join(err, cat.Close(), n.Close())
	}
	keeper := engine.Keeper()
	b := &localBackend{n: n, cat: cat, keeper: keeper, seeding: engine, quota: c.g.quota}
	services := newGUIServices(b, cat, c.log)
	services.keeper = keeper
	services.playing = playReservation{keeper: keeper, log: c.log}
	services.seeding = engine
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
	var ctlErr error
	if ctl != nil {
		ctlErr = ctl.Close()
	}
	b.closeGateway()
	engineErr := engine.Close()
	services.playing.close()
	return errors.Join(guiErr, ctlErr, engineErr, cat.Close(), n.Close())
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
