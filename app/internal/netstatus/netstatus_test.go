package netstatus

import (
	"testing"
	"time"

	"github.com/ipfs-tube/ipfs-tube/node/gwfetch"
)

func TestDescribe(t *testing.T) {
	const (
		settled = time.Minute
		fresh   = time.Second
	)
	none := Gateways{}
	down := Gateways{Configured: 4}
	probing := Gateways{Configured: 4, Unprobed: 2}
	up := Gateways{Configured: 4, Answering: 1}
	for _, tc := range []struct {
		name string
		in   Inputs
		want Line
	}{
		{"starting", Inputs{State: Starting}, Line{"Starting the node…", Busy}},
		{"start failed", Inputs{State: Failed}, Line{"The node could not start — see Settings › Your node", Broken}},

		{"peers", Inputs{State: Online, Peers: 12, Gateways: down, Online: settled}, Line{"Online · 12 peers", Good}},
		{"one peer", Inputs{State: Online, Peers: 1, Gateways: up, Online: settled}, Line{"Online · 1 peer", Good}},
		{"peers without gateways", Inputs{State: Online, Peers: 3, Gateways: none, Online: fresh}, Line{"Online · 3 peers", Good}},

		{"no peers, gateways answer", Inputs{State: Online, Gateways: up, Online: settled},
			Line{"No peers · videos come from gateways (slower)", Limited}},
		{"no peers, one gateway answers before the grace ends", Inputs{State: Online, Gateways: up, Online: fresh},
			Line{"No peers · videos come from gateways (slower)", Limited}},
		{"no peers, gateways being probed", Inputs{State: Online, Gateways: probing, Online: settled},
			Line{"Looking for peers and gateways…", Busy}},
		{"no network at all", Inputs{State: Online, Gateways: down, Online: fresh},
			Line{"Offline: no peers and no gateway reachable — only videos already on this computer play", Offline}},
		{"no peers, fallback off, just online", Inputs{State: Online, Gateways: none, Online: fresh},
			Line{"Looking for peers…", Busy}},
		{"no peers, fallback off", Inputs{State: Online, Gateways: none, Online: settled},
			Line{"Offline: no peers, and the gateway fallback is off — only videos already on this computer play", Offline}},

		{"seeding stopped", Inputs{State: Online, Peers: 2, Online: settled, SeedingStopped: "quota keeper: disk"},
			Line{"Online · 2 peers · Seeding stopped: quota keeper: disk", Offline}},
		{"seeding stopped, node failed", Inputs{State: Failed, SeedingStopped: "quota keeper: disk"},
			Line{"The node could not start — see Settings › Your node · Seeding stopped: quota keeper: disk", Broken}},

		{"private with peers", Inputs{State: Online, Private: true, Peers: 2, Online: settled},
			Line{"Online · 2 peers · Private mode: no gateways, no announcements", Good}},
		{"private, just online", Inputs{State: Online, Private: true, Online: fresh},
			Line{"Looking for peers… · Private mode: no gateways, no announcements", Busy}},
		{"private, no peers", Inputs{State: Online, Private: true, Online: settled},
			Line{"Offline: no peers, and private mode asks no gateways — only videos already on this computer play", Offline}},
		// Private mode turns the fallback off even where its ranking
		// still lists answering gateways.
		{"private, no peers, gateways listed", Inputs{State: Online, Private: true, Gateways: up, Online: settled},
			Line{"Offline: no peers, and private mode asks no gateways — only videos already on this computer play", Offline}},
		{"private, starting", Inputs{State: Starting, Private: true}, Line{"Starting the node…", Busy}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Describe(tc.in); got != tc.want {
				t.Errorf("Describe(%+v)\n got %q (%d)\nwant %q (%d)", tc.in, got.Text, got.Severity, tc.want.Text, tc.want.Severity)
			}
		})
	}
}

func TestSummarizeGateways(t *testing.T) {
	for _, tc := range []struct {
		name   string
		states []string
		want   Gateways
	}{
		{"fallback off", nil, Gateways{}},
		{"fresh", []string{gwfetch.StateUntested, gwfetch.StateUntested}, Gateways{Configured: 2, Unprobed: 2}},
		{"ok and slow answer", []string{gwfetch.StateOK, gwfetch.StateSlow, gwfetch.StateUnreachable}, Gateways{Configured: 3, Answering: 2}},
		{"none usable", []string{gwfetch.StateUnreachable, gwfetch.StateBanned, gwfetch.StateCooling}, Gateways{Configured: 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ranks []gwfetch.Rank
			for _, s := range tc.states {
				ranks = append(ranks, gwfetch.Rank{URL: "https://gw.example/" + s, State: s})
			}
			if got := SummarizeGateways(ranks); got != tc.want {
				t.Errorf("SummarizeGateways(%v) = %+v, want %+v", tc.states, got, tc.want)
			}
		})
	}
}
