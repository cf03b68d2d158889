// Package libraryview is the Library view of the IPFS-Tube window: a
// virtualised grid of every video in the catalog, each tile with its
// poster, title, duration, size and badges for what is kept on this
// computer, a search box, a sort order and a menu per tile (play, pin or
// unpin, remove from cache, copy link).
//
// # Usage
//
//	v := libraryview.New(ctx, cat, actions, // cat is a *library.Catalog
//		libraryview.OnPlay(func(video library.Video) { play(video) }))
//	defer v.Close()
//	tabs.Append(container.NewTabItem("Library", v.Content()))
//
// New, Content and Close run on the UI thread. Everything slow (catalog
// queries, poster fetches and decoding, pinning, removing) runs on
// goroutines that reach widgets only through fyne.Do, so a slow or failing
// catalog or node never blocks the window: failures show as a message
// above the grid, a poster that cannot be fetched as a placeholder.
//
// # Live updates
//
// The view subscribes to the catalog and reruns its query (List, or Search
// while the search box has text) after changes have been quiet for
// [DefaultDebounce], and at least once a second during a steady stream of
// them (watch progress is recorded every few seconds while a video plays).
// The view never writes the catalog itself: Actions does the work and
// updates the catalog, and the tile follows when the change arrives.
//
// # Badges
//
// A tile shows up to three badges:
//   - "Your upload" when the video was published from this computer
//     (library.OwnUpload);
//   - "Pinned" when the user pinned it (library.Pinned), unless it is an
//     own upload showing its copies (it stays here either way, and three
//     badges fill a tile);
//   - a local-state badge: "Seeding" when every byte is on disk
//     (BytesLocal ≥ Size) and the video is kept for others
//     (library.Reason.Seeded: an own upload, a pin or auto-seeded, the
//     videos the Seeding page lists), so it stays and peers can fetch it
//     from us; otherwise "Cached 42%" (floored,
//     so "100%" means complete) while any of it is on disk, or "Not cached";
//   - on own uploads, with WithProviders, how many other nodes provide the
//     video: "+3 copies" ("+1 copy"; counting stops at "+8 copies"), "Only
//     here" in the error colour (this computer is its only copy), or
//     "Counting…" before the first answer. Nothing shows while no lookup
//     has answered (the node is offline). The widest set of three fits a
//     tile (tested).
//
// # Copies of own uploads
//
// With WithProviders the view counts, for each own upload, the other nodes
// that provide it (the app asks the DHT; the view declares the Providers
// interface it needs). A goroutine of the view does the lookups, at most
// four at once and each within 30 s, never the UI thread; answers are
// cached and redraw only their tiles. A count is looked up when an upload
// first appears (at start, or when the catalog gains one), again after
// DefaultProviderRefresh (10 min), and at once from the tile's menu
// ("Count copies now"). A failed lookup keeps the last count.
//
// # Posters
//
// Posters come from Actions.Poster, at most three at a time, newest
// request first, and only for the last 64 tiles that asked (what is on
// screen), so scrolling through thousands of videos fetches what the user
// sees. They are decoded off the UI thread, shrunk to fit 384×216 pixels
// and kept for the 128 most recently shown (about 42 MB). A poster that
// fails or takes longer than 45 s shows a placeholder and is tried again
// when its tile is redrawn two minutes later.
//
// # Sorting and search
//
// The sort menu offers recently watched (the default), recently added and
// title. While searching with the default order, results come best match
// first (library.SortRelevance, which falls back to recently watched).
// Catalog changes reach the screen after a 20 ms debounce, and the grid
// holds only the tiles on screen, so thousands of videos load, update and
// search without a visible wait (TestThousandsOfVideos checks 3,000).
package libraryview
