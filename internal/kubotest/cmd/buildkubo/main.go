// Command buildkubo makes sure the Kubo binary used by interop tests and
// benchmarks is built, and prints its path. The Makefile runs it before
// tests so that the one-off build (minutes) is not charged to a test's
// timeout or hidden inside a silent `go test`.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"

	"github.com/ipfs-tube/ipfs-tube/internal/kubotest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	p, err := kubotest.BinaryPath(ctx)
	if err != nil {
		slog.Error("buildkubo", "err", err)
		os.Exit(1)
	}
	fmt.Println(p)
}
