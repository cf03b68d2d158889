package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/ipfs-tube/ipfs-tube/node"
)

// openApp opens the desktop window on the repo; with open set, on that
// video. The window shows before the node has started; once it has, the
// control API serves CLI commands for as long as the window is open.
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
	var ctl *controlServer
	start := func(ctx context.Context) error {
		var err error
		ctl, err = c.serve(ctx, n)
		return err
	}
	// runGUI returns only after start has returned, so ctl is settled.
	guiErr := runGUI(ctx, n, start, open)
	var ctlErr error
	if ctl != nil {
		ctlErr = ctl.Close()
	}
	return errors.Join(guiErr, ctlErr, n.Close())
}

// handOffToRunning gives open to the app window that holds the repo, so a
// link clicked in a browser or a file opened from a file manager lands in
// the window already open. lockErr is why this process could not open the
// repo itself.
func (c *cli) handOffToRunning(ctx context.Context, open string, lockErr error) error {
	ctl, err := readControl(c.g.repo)
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
