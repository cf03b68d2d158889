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
		return fmt.Errorf("IPFS-Tube is already running on %s (a daemon or another window); stop it first: %w", c.g.repo, err)
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
