// Package upload publishes a local video file: it checks the file, reads
// its duration, resolution and a poster frame with libmpv, imports it into
// the node (pinned, in the unixfs-v1-2025 profile, so its CID equals
// Kubo's), publishes a small directory beside it (the video, poster.jpg and
// video.json) and records it in the catalog as the user's own upload. The
// file CID stays the video's identity; the directory is what a shared link
// points at, so any IPFS client shows the title and poster.
//
// It holds no GUI code: app/internal/uploadview shows uploads in the
// window, and a command line could drive the same Uploader.
//
// # Usage
//
//	up := upload.New(n, cat) // *node.Node, *library.Catalog
//	res, err := up.Upload(ctx, "/home/me/talk.mp4", func(p upload.Progress) {
//		// p.Phase; while importing p.Done of p.Total bytes at p.Rate B/s
//	})
//	switch {
//	case errors.Is(err, context.Canceled): // the user cancelled; nothing kept
//	case err != nil:
//		show(upload.Message(err)) // "“notes.txt” is not a video…"
//	}
//	// p.Phase == upload.PhaseWaiting: other imports run (two at a time)
//	links := upload.LinksFor(res.Dir) // ipfs://…, https://….ipfs.dweb.link/, …
//	res, err = up.Retitle(ctx, res.File, "A better title") // new directory, same file CID
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
package upload
