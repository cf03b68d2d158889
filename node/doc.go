// Package node is IPFS-Tube's embedded IPFS node: a libp2p host (TCP and QUIC,
// Noise and TLS, yamux) with NAT traversal, the Amino DHT, bitswap over a
// Badger blockstore, a persistent pin set, garbage collection, providing of
// pinned roots, IPNS, and UnixFS import and random-access reading in the
// unixfs-v1-2025 profile.
//
// It never imports fyne or mpv; the app asks it for bytes.
//
// # Usage
//
//	n, err := node.New(ctx, node.Config{Repo: dir}, node.WithIsolated())
//	if err != nil { ... }
//	if err := n.Start(ctx); err != nil { ... }
//	defer n.Close()
//
//	res, err := n.Import(ctx, file, node.ImportProgress(func(done, total int64) { ... }))
//	r, err := n.Open(ctx, res.Cid) // io.ReadSeeker over the file
//
// # Repo
//
// A repo is a directory holding:
//
//	version        repo format version; a newer one than this build knows is refused
//	config.json    listen ports and settings picked when the repo was created
//	identity.key   the node's ed25519 private key (0600)
//	repo.lock      held (flock) by the one process that has the repo open
//	datastore/     Badger v4: blocks, pins, provider queue, IPNS records
//
// The repo is created atomically: it is assembled in a temporary sibling
// directory and renamed into place, so a crash during creation never leaves a
// half-made repo behind.
//
// Only one process opens a repo at a time. Others talk to it through the
// control API (see package app) whose address and token the holder writes
// into the repo.
package node
