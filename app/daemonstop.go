package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ipfs-tube/ipfs-tube/node"
)

// daemonStopGrace bounds the daemon's shutdown after SIGINT/SIGTERM: past
// it the process exits anyway (exit code 1), so a daemon ends within 10 s
// whatever its storage does (Badger retries a failed flush for ever and
// its Close waits on it). Badger survives being cut off like this (it is
// made to survive a crash). Once the storage has failed there is nothing
// left to save, so the shutdown gets failedStopGrace from then.
const (
	daemonStopGrace = 7 * time.Second
	failedStopGrace = 3 * time.Second
)

// serveUntilStopped waits for a signal (ctx) or a storage failure of n,
// then runs shutdown within the bounds above. stopSignals stops catching
// signals, so a second SIGINT or SIGTERM ends the process at once. A
// storage failure is returned as the daemon's error.
func (c *cli) serveUntilStopped(ctx context.Context, stopSignals func(), n *node.Node, shutdown func() error) error {
	select {
	case <-ctx.Done():
	case <-n.Failed():
	}
	stopSignals()
	fmt.Fprintln(c.stderr, "shutting down")
	done := make(chan error, 1)
	go func() { done <- shutdown() }()
	grace := time.NewTimer(daemonStopGrace)
	defer grace.Stop()
	failed := n.Failed()
	var failedGrace <-chan time.Time
	for {
		select {
		case err := <-done:
			if f := n.Failure(); f != nil {
				// Closing a failed node reports the same failure again.
				return f
			}
			return err
		case <-failed:
			failed = nil
			failedGrace = time.After(failedStopGrace)
		case <-failedGrace:
			return fmt.Errorf("%w (shutdown cut short after %s)", n.Failure(), failedStopGrace)
		case <-grace.C:
			return errors.Join(n.Failure(), fmt.Errorf("shutdown: not finished after %s, exiting anyway", daemonStopGrace))
		}
	}
}
