// Package publish is the upload pipeline, the one domain service behind
// the window's uploads and the command line's add: it checks a local
// video file, reads its duration, resolution and a poster frame, reserves
// room for it in the storage quota, imports it into the node (pinned, in
// the unixfs-v1-2025 profile, so its CID equals Kubo's), publishes a small
// directory beside it (the video, poster.jpg and video.json) and records
// it in the catalog as the user's own upload. The file CID stays the
// video's identity; the directory is what a shared link points at, so any
// IPFS client shows the title and poster.
//
// # Where it lives
//
// Publishing is library policy (what an own upload is, what it may take of
// the quota, what the catalog records), so it lives under library/, and
// like the rest of library it imports neither the node nor libmpv: it
// declares what it needs (Node, Prober, Reserver, Catalog) and the app
// wires the real ones in — internal/nodelib adapts *node.Node,
// internal/probelib adapts playback.Probe, *library.Keeper and
// *library.Catalog fit as they are. app/internal/uploadview shows uploads
// in the window; the CLI's add (in-process or through the control API of
// the app or daemon holding the repo) calls Add.
//
// # Usage
//
//	svc := publish.New(nodelib.Publish{N: n}, probelib.Prober{}, cat, publish.WithReserver(keeper))
//	res, err := svc.Upload(ctx, "/home/me/talk.mp4", func(p publish.Progress) {
//		// p.Phase; while importing p.Done of p.Total bytes at p.Rate B/s
//	})
//	switch {
//	case errors.Is(err, context.Canceled): // the user cancelled; nothing kept
//	case err != nil:
//		show(publish.Message(err)) // "“notes.txt” is not a video…"
//	}
//	// p.Phase == publish.PhaseWaiting: other imports run (two at a time)
//	links := publish.LinksFor(res.Dir) // ipfs://…, https://….ipfs.dweb.link/, …
//	res, err = svc.Retitle(ctx, res.File, "A better title") // new directory, same file CID
//
// # Upload and Add
//
// Upload is the window's: a file that is not a video is refused. Add is
// the command line's `add`, which has always imported any file: it probes
// the file too, and a video is published and recorded exactly as Upload
// would (titled after its file name), while any other file — or one the
// probe cannot read — is only imported and pinned, never refused, and the
// catalog does not hear of it.
//
// # Quota
//
// Own uploads count against the storage quota first. Before the first
// block is written, an upload reserves the file's size plus its poster and
// 64 KiB for the directory (library.ForKeeping): the keeper evicts cached
// videos, least recently watched first, to make room, and refuses the
// upload (library.ErrQuota, nothing imported, nothing evicted) when own
// uploads and pins alone would take more than the quota. The reservation
// is released once the bytes are on disk and in the catalog. Add reserves
// the same way for any file of known size; a stream of unknown length
// reserves nothing.
//
// # What is checked, and when
//
// Everything that can make an upload fail for the file's sake is checked
// before the first block is written: a missing file, a folder, a pipe or
// device, a 0-byte file, a file that cannot be opened (permissions, a
// symlink loop), and a file libmpv does not read as a video (text, a still
// image, sound alone). Each has its own error (ErrMissing, ErrFolder,
// ErrUnreadable, ErrEmpty, ErrNotVideo), and Message turns any of them
// into a sentence for the window.
//
// # Queueing
//
// Upload may be called for many files at once: at most two (WithParallel)
// are probed at a time and, apart from that, at most two imported; the
// others report PhaseWaiting until a slot frees. Checking comes first, so
// a bad file dropped behind two large ones is refused at once.
//
// # Nothing half-done
//
// A cancelled or failed import pins nothing (the node leaves its blocks to
// the next GC). When a later step fails or is cancelled — publishing, the
// catalog — the pins this upload added are removed again, unless the same
// file was pinned before, is being uploaded by another call, or is in the
// catalog as an upload or a pin. The catalog is written last, so it never
// names a video whose blocks are not kept.
//
// # Retitling
//
// A directory's CID depends on its title, so Retitle publishes a new
// directory (same file, same poster, new video.json), points the catalog
// at it and unpins the old directory; the file CID and its pin do not
// change. Links shared before keep showing the old title.
package publish
