// Package gwfetch fetches single IPFS blocks from public HTTP gateways when
// peers are scarce, ranking the gateways by what it measures and verifying
// every block against its CID before handing it out.
//
// It speaks the trustless gateway protocol only: GET /ipfs/{cid}?format=raw
// with Accept: application/vnd.ipld.raw. A gateway is never trusted with
// anything but bytes that hash to the requested CID, so any gateway list is
// safe to use; a bad gateway can only waste time, and the ranking makes it
// waste little.
//
// # Usage
//
//	f, err := gwfetch.New(ctx, []string{"https://trustless-gateway.link", "https://ipfs.io"},
//		gwfetch.WithLogger(log))
//	if err != nil {
//		return err
//	}
//	defer f.Close()
//	blk, err := f.Fetch(ctx, c) // verified; safe to call from many goroutines
//	for _, r := range f.Ranking() { // best first, for a status view
//		fmt.Println(r.URL, r.State, r.Latency, r.SuccessRate)
//	}
//
// # Bounds on a response
//
// A block body is read to at most the block limit plus one byte (2 MiB by
// default): a larger Content-Length is refused before reading, a longer body
// is cut there. Transparent decompression is off (Accept-Encoding: identity
// is sent and a response carrying any Content-Encoding is refused unread),
// so a compressed body can never expand in memory. Response headers must
// arrive within the time-to-first-byte bound (5 s), the body may not go
// silent for longer than the stall bound (3 s), and a whole request may not
// outlast the request bound (30 s), which catches a body that trickles just
// fast enough never to stall.
//
// # Ranking
//
// Every gateway keeps moving averages (weight 0.3 for the newest sample) of
// its time to first byte and of its body throughput (measured on bodies of
// 64 KiB or more), and decayed counts (×0.9 per outcome) of its outcomes:
// successes, misses (404 and friends, 429, 503) and errors (transport
// failures, timeouts, 5xx, refused or oversized bodies). The score is the
// expected rate, in nominal 1 MiB blocks per second, at which one request
// to the gateway yields a verified block:
//
//	reliability = (successes + 1) / (successes + 1 + misses + 3×errors)
//	score       = reliability / (latency + 1 MiB / throughput)
//
// The +1 is an optimistic prior so a new gateway gets tried; errors weigh
// three times a miss. Until measured, latency counts as 500 ms and
// throughput as 4 MiB/s.
//
// A request goes to the usable gateway with the lowest expected cost,
// 1/score × (1 + (in flight + queued) / limit), so the best gateway takes
// requests until its queue makes it costlier than the next one; at most 8
// requests are in flight per gateway. If the chosen gateway has not sent its
// response headers within twice its usual latency (never sooner than 25 ms),
// the request is hedged once to the next best gateway with a free slot. Only
// one of the racing responses reads its body at a time: a response that
// arrives while another is being read waits (for at most the stall bound,
// then reads anyway) and is cancelled unread once the block is in, so a
// hedge costs a request, not a second copy of the block. A failed attempt
// moves on to the next untried gateway at once; each gateway is tried at
// most once per Fetch. Fetch returns ErrNoGateways at once when every
// gateway is banned or cooling down, so a caller with peers never waits on
// the fallback.
//
// # Cooldowns and bans
//
// 429 and 503 put a gateway in a cooldown for its Retry-After (seconds or an
// HTTP date), capped at 10 minutes; without a Retry-After they back off like
// errors. Errors back off exponentially per consecutive error: 1 s, 2 s,
// 4 s … capped at 10 minutes; transport failures and missing response
// headers also mark the gateway unreachable until it answers again. A
// gateway that serves bytes that fail verification even once is banned for
// 24 hours, logged at warning level, and never asked again in that time.
//
// # Probing
//
// New probes every gateway in the background with the identity CID
// bafkqaaa (an empty body, nothing to look up), twice in a row so the second
// sample measures a warm connection, so the ranking is warm before playback
// needs it. After that every gateway idle for a probe interval (30 s) is
// probed again unless it is banned or cooling down.
//
// # States
//
// Ranking reports one of: untested (no outcome yet), ok, slow (its latency
// or its expected block time is over three times the best gateway's and
// over 100 ms more), cooling down, unreachable, banned.
//
// A gateway's base URL keeps its path escaped (a "%3F" in it must not
// start the query of the requests built on it) and loses every trailing
// "/ipfs"; FuzzNormalize checks a base normalizes to itself.
package gwfetch
