// Package netstatus decides what the window's status bar says about the
// node: whether it reaches anyone (peers, HTTP gateways) and what that
// means for watching. It is a pure function of a reading of the node, so
// the wording is tested by table and any front end can show the same
// sentence; the window only picks a colour for its Severity.
//
// # Policy
//
// What counts is what a viewer can watch:
//
//   - One peer or more: "Online · 12 peers". Videos come from peers (and
//     from gateways when peers lack a block).
//   - No peer, but a gateway of the fallback answers: "No peers · videos
//     come from gateways (slower)". A gateway answers when its ranking
//     state (node/gwfetch) is ok or slow: it was measured, is not cooling
//     down after errors or rate limits, and is neither unreachable nor
//     banned.
//   - No peer and no gateway answering, when every gateway has been probed
//     and failed (or there is none to ask: the fallback is off, or private
//     mode): "Offline: …", in the warning colour, saying that only videos
//     already on this computer play.
//
// Until there is evidence either way the bar says "Looking for peers…":
// while a gateway has not been probed yet, and, when there is no gateway
// to ask, for ConnectGrace after the node came online, the time a node
// usually takes to reach its first bootstrap peer. So a normal start never
// flashes "Offline", and a machine without network says so within
// seconds: gateways it cannot resolve or connect to fail their probe at
// once.
//
// Private mode asks no gateway and announces nothing; the bar always says
// so, offline or not.
//
// A seeding engine that gave up (library.Seeding) adds "· Seeding stopped:
// why", in the warning colour at least: the node still serves what it
// holds, but nothing is seeded or kept within the quota until a restart.
package netstatus

import (
	"fmt"
	"time"

	"github.com/ipfs-tube/ipfs-tube/node/gwfetch"
)

// ConnectGrace is how long after the node came online a node with no
// gateway to ask looks for peers before it is called offline.
const ConnectGrace = 10 * time.Second

// NodeState is where the node is in its life.
type NodeState int

const (
	Starting NodeState = iota
	Online
	Failed // the node could not start
)

// Severity is how the sentence should be shown.
type Severity int

const (
	// Busy: still finding out; no colour.
	Busy Severity = iota
	// Good: peers connected.
	Good
	// Limited: no peers, but videos still come, more slowly.
	Limited
	// Offline: nothing reachable, only what is on this computer plays; a
	// warning.
	Offline
	// Broken: the node did not start; an error.
	Broken
)

// Gateways sums up the gateway fallback's ranking.
type Gateways struct {
	// Configured counts the fallback's gateways; 0 when it is off.
	Configured int
	// Answering counts those that answer now (ranking state ok or slow).
	Answering int
	// Unprobed counts those not measured yet.
	Unprobed int
}

// SummarizeGateways counts a ranking as node.GatewayRanking returns it.
func SummarizeGateways(ranks []gwfetch.Rank) Gateways {
	g := Gateways{Configured: len(ranks)}
	for _, r := range ranks {
		switch r.State {
		case gwfetch.StateOK, gwfetch.StateSlow:
			g.Answering++
		case gwfetch.StateUntested, "":
			g.Unprobed++
		}
	}
	return g
}

// Inputs is one reading of the node.
type Inputs struct {
	State NodeState
	// Peers counts connected peers.
	Peers    int
	Gateways Gateways
	// Private is private mode: no gateways, no announcements.
	Private bool
	// Online is how long the node has been online.
	Online time.Duration
	// SeedingStopped is why the seeding engine stopped; "" while it runs.
	SeedingStopped string
}

// Line is what the status bar shows.
type Line struct {
	Text     string
	Severity Severity
}

const (
	privateNote = " · Private mode: no gateways, no announcements"
	localOnly   = " — only videos already on this computer play"
)

// Describe says in words what the node reaches and what that means for
// watching, and when seeding stopped.
func Describe(in Inputs) Line {
	l := describeNode(in)
	if in.SeedingStopped != "" {
		l.Text += " · Seeding stopped: " + in.SeedingStopped
		l.Severity = max(l.Severity, Offline)
	}
	return l
}

func describeNode(in Inputs) Line {
	switch in.State {
	case Starting:
		return Line{"Starting the node…", Busy}
	case Failed:
		return Line{"The node could not start — see Settings › Your node", Broken}
	}
	if in.Peers > 0 {
		return withPrivateNote(in, Line{"Online · " + peers(in.Peers), Good})
	}
	if in.Private {
		if in.Online < ConnectGrace {
			return withPrivateNote(in, Line{"Looking for peers…", Busy})
		}
		return Line{"Offline: no peers, and private mode asks no gateways" + localOnly, Offline}
	}
	gw := in.Gateways
	switch {
	case gw.Answering > 0:
		return Line{"No peers · videos come from gateways (slower)", Limited}
	case gw.Unprobed > 0:
		return Line{"Looking for peers and gateways…", Busy}
	case gw.Configured == 0 && in.Online < ConnectGrace:
		return Line{"Looking for peers…", Busy}
	case gw.Configured == 0:
		return Line{"Offline: no peers, and the gateway fallback is off" + localOnly, Offline}
	}
	return Line{"Offline: no peers and no gateway reachable" + localOnly, Offline}
}

func withPrivateNote(in Inputs, l Line) Line {
	if in.Private {
		l.Text += privateNote
	}
	return l
}

func peers(n int) string {
	if n == 1 {
		return "1 peer"
	}
	return fmt.Sprintf("%d peers", n)
}
