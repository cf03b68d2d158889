package main

import (
	"context"
	"fmt"
	"net/http"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ipfs-tube/ipfs-tube/app/internal/ui"
	"github.com/ipfs-tube/ipfs-tube/node"
	"github.com/ipfs-tube/ipfs-tube/node/gwfetch"
)

// gatewaysWarmup bounds how long `ipfs-tube gateways` on a repo nobody
// holds waits for the first probe of every gateway.
const gatewaysWarmup = 10 * time.Second

func (c *cli) gatewaysCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "gateways",
		Short: "Show the HTTP gateways of the fallback, best first, as measured",
		Long: "One line per gateway: score, time to first byte, throughput, success rate, state\n" +
			"(ok, slow, cooling down, banned, unreachable) and verified bytes served.\n" +
			"On a repo no daemon or window holds, the node starts and waits up to 10 s\n" +
			"for its first probe of every gateway.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withBackend(true, func(ctx context.Context, b backend) error {
				ranks, err := b.Gateways(ctx)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(c.stdout, ranks)
				}
				if len(ranks) == 0 {
					fmt.Fprintln(c.stdout, "No gateways: the fallback is off (--gateways is empty, or --isolated).")
					return nil
				}
				tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "GATEWAY\tSCORE\tLATENCY\tTHROUGHPUT\tSUCCESS\tSTATE\tSERVED")
				for _, r := range ranks {
					fmt.Fprintf(tw, "%s\t%.2f\t%s\t%s\t%.0f%%\t%s\t%s\n", safeLine(r.URL), r.Score,
						r.Latency.Round(time.Millisecond), ui.Rate(r.Throughput), r.SuccessRate*100, safeLine(r.State), ui.Bytes(r.Served))
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the ranking as JSON")
	return cmd
}

// Gateways waits, on a node this process started, until every gateway
// has been probed once (or gatewaysWarmup), so the ranking means something.
func (b *localBackend) Gateways(ctx context.Context) ([]node.GatewayRank, error) {
	ctx, cancel := context.WithTimeout(ctx, gatewaysWarmup)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		ranks := b.n.GatewayRanking()
		if allProbed(ranks) {
			return ranks, nil
		}
		select {
		case <-ctx.Done():
			return ranks, nil
		case <-tick.C:
		}
	}
}

func allProbed(ranks []node.GatewayRank) bool {
	for _, r := range ranks {
		if r.State == "" || r.State == gwfetch.StateUntested {
			return false
		}
	}
	return true
}

func (c *controlClient) Gateways(ctx context.Context) ([]node.GatewayRank, error) {
	var ranks []node.GatewayRank
	_, err := c.do(ctx, http.MethodGet, "gateways", nil, nil, &ranks)
	return ranks, err
}
