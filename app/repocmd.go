package main

import (
	"errors"
	"fmt"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/ipfs-tube/ipfs-tube/node"
)

// repoCommand is `ipfs-tube repo`, named after Kubo's `ipfs repo`.
func (c *cli) repoCommand() *cobra.Command {
	repo := &cobra.Command{Use: "repo", Short: "Look after the repo"}
	var repair bool
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Re-hash every stored block and list corrupt ones (exit code 1 if any)",
		Long: "Re-hash every stored block and list each corrupt one (CID and why) on stdout; " +
			"exit code 1 if any. --repair drops them, so they are fetched again from peers when needed. " +
			"It opens the repo itself: stop the app or daemon first.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return c.repoVerify(repair) },
	}
	verify.Flags().BoolVar(&repair, "repair", false, "drop corrupt blocks, so they are fetched again from peers when needed")
	repo.AddCommand(verify)
	return repo
}

// repoVerify needs the repo to itself: it reads every block, which through
// another process's control API would hold that process's GC for as long,
// and a repair must not race the holder's writes. A holder makes it fail
// at once (exit code 4).
func (c *cli) repoVerify(repair bool) error {
	ctx, cancel := c.context()
	defer cancel()
	cfg, err := c.g.nodeConfig()
	if err != nil {
		return err
	}
	n, err := node.New(ctx, cfg, node.WithLogger(c.log))
	if errors.Is(err, node.ErrRepoLocked) {
		return fmt.Errorf("repo verify needs the repo to itself; stop the app or daemon first: %w", err)
	}
	if err != nil {
		return err
	}
	defer n.Close()
	opts := []node.VerifyOption{node.VerifyReport(func(b node.BadBlock) {
		line := fmt.Sprintf("%s corrupt: %s", b.Cid, b.Reason)
		switch {
		case b.Removed:
			line += "; removed"
		case b.RemoveErr != nil:
			line += fmt.Sprintf("; not removed: %v", b.RemoveErr)
		}
		fmt.Fprintln(c.stdout, line)
	})}
	if repair {
		opts = append(opts, node.VerifyRepair())
	}
	res, err := n.VerifyBlocks(ctx, opts...)
	if err != nil {
		return fmt.Errorf("repo verify: %w", err)
	}
	fmt.Fprintf(c.stdout, "verified %d blocks (%s): %s\n", res.Blocks, humanize.IBytes(uint64(res.Bytes)), corruptWords(res.Bad))
	if repair && res.Bad > 0 {
		fmt.Fprintf(c.stdout, "removed %d corrupt blocks; they are fetched again from peers when needed (pin add fetches a pinned file whole)\n", res.Removed)
	}
	if res.Bad > 0 {
		return fmt.Errorf("repo verify: %s", corruptWords(res.Bad))
	}
	return nil
}

func corruptWords(bad int) string {
	switch bad {
	case 0:
		return "all intact"
	case 1:
		return "1 corrupt block"
	}
	return fmt.Sprintf("%d corrupt blocks", bad)
}
