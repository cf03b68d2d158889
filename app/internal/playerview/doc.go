// Package playerview is the player view of the IPFS-Tube window: the
// video picture, play/pause, a seek bar that also shows which parts of the
// video are already on this machine, elapsed and total time, volume and
// mute, fullscreen, the audio and subtitle track menu, a buffering
// indicator and a stats line ("From peers · 3 peers · 12 MiB/s"). It
// resumes a video where the viewer left it and records progress in the
// library.
//
// # Usage
//
//	v := playerview.New(ctx, src, // src: a Source over the node and its gateway
//		playerview.WithCatalog(cat),  // *library.Catalog: resume + history
//		playerview.WithWindow(win),   // fullscreen
//	)
//	defer v.Close() // before cat.Close: it saves the position
//	win.SetContent(v.Content())
//	win.Canvas().SetOnTypedKey(func(e *fyne.KeyEvent) {
//		if !v.TypedKey(e) { /* the shell's own keys */ }
//	})
//	t, _ := link.Parse("ipfs://bafy…")
//	v.Open(ctx, t)                 // returns at once; errors show in the view
//	st := v.Status()               // State, position, message, …
//
// Keys: space play/pause, ←/→ 5 s back/forward, ↑/↓ volume, m mute,
// f fullscreen, Esc leave fullscreen. A click on the picture pauses, a
// double click toggles fullscreen.
//
// # How it works
//
// Each Open is a session with its own playback.Player: it resolves the
// link through the Source (bounded by WithResolveTimeout), creates or
// updates the catalog entry (title, size; later duration and size in
// pixels), and loads the gateway URL. Commands from keys and buttons go
// to the session's goroutine, so the UI thread never waits for mpv; the
// player's status and frames come back through fyne.Do, coalesced so that
// only the newest frame and one refresh are ever queued (frames.Latest,
// shared with the play command's window). Stop, the next Open and Close
// save the position and close that player.
//
// Frames are rendered by playback at the video area's size in pixels, the
// video letterboxed into it, so the picture is scaled once, by mpv.
//
// Resume: a video the catalog has a LastPosition for (at least 1 s, and
// not Finished) starts there. The view seeks as soon as mpv has opened the
// file and hides the frames before that seek lands, showing "Resuming…".
// The position is saved every 5 s while it moves (WithRecordEvery), at the
// end, and on Stop and Close.
//
// The seek bar's lighter segments are the file's byte ranges that are on
// this machine (Source.LocalRanges, polled every second), drawn at the
// same share of the bar as of the file: a byte fraction stands for the
// same time fraction, exact for constant bit rates and close otherwise.
//
// The stats line's speed is the growth of the bytes fetched from peers
// and gateways per second; its source is whichever of this computer,
// peers and gateways gave the most bytes in the last second. The counters
// are the backend's totals, not per video.
//
// playback has no mute of its own: muting plays at volume 0 and keeps the
// viewer's volume for unmuting; changing the volume unmutes.
//
// The view is always dark (the app theme's dark variant), as video
// players are.
package playerview
