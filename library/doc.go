// Package library is IPFS-Tube's catalog and seeding policy. It owns the
// catalog: every video the user watched, uploaded or pinned, with its
// title, poster, duration, resolution, size, bytes on disk, watch history
// and why it is kept; every view of the GUI reads it. It owns what the
// node seeds: the storage quota and its evictions (Keeper), auto-seeding
// by demand (AutoSeeder), seeding hours (SeedHours), and the seeding
// engine (Seeding) that runs them under the user's choices. Its
// sub-package publish is the upload pipeline. It never imports fyne and
// knows nothing of the node: the app tells it what happened (a video
// opened, watched to a position, pinned, its blocks counted) and passes
// the node in through the interfaces declared here (Store, SeedNode,
// RateLimiter).
//
// # Usage
//
//	cat, err := library.Open(ctx, filepath.Join(repoDir, "library"))
//	if err != nil { ... } // library.ErrLocked: another process has it
//	defer cat.Close()
//
//	err = cat.Put(ctx, library.Video{Cid: file, Dir: dir, Title: "My talk",
//		Duration: 20 * time.Minute, Width: 1920, Height: 1080, Size: n, Kept: library.Cache})
//	v, err := cat.RecordWatch(ctx, file, player.Position(), time.Now())
//	v, err = cat.SetKept(ctx, file, library.Pinned, true)
//	v, err = cat.Update(ctx, file, func(v *library.Video) error { v.Title = t; return nil })
//
//	page, err := cat.List(ctx, library.ListOptions{Watched: true, Limit: 50}) // history
//	page, err = cat.Search(ctx, "café", library.ListOptions{})
//	for _, bad := range page.Skipped { ... } // unreadable records, left out
//
//	cancel := cat.Subscribe(func(ch library.Change) { fyne.Do(refresh) })
//	defer cancel()
//
// Videos are keyed by the file CID, the video's identity everywhere.
//
// # Storage
//
// The catalog is its own Badger v4 database in the directory the caller
// gives (the app uses <repo>/library), not a key prefix in the node's
// block store: catalog writes never queue behind 1 MiB block writes, and
// the node's GC and space reclaiming never touch it. It is tuned for a few
// thousand records of about a kilobyte: 4 MiB memtables, small caches, no
// compression, and every record in the LSM tree (far below the value
// threshold), where compaction frees deleted records. Writes are not
// fsynced: an OS crash may lose the last second of watch progress, a
// process crash loses nothing (Badger's write-ahead log is in the page
// cache).
//
// The directory holds catalog.lock (an OS file lock held while open: a
// second Open, from any process, fails with ErrLocked) and badger/.
// Keys are "video/" + the CID's binary form, plus "meta/layout", the key
// layout version: a directory with a newer layout is refused (ErrTooNew).
//
// # Records
//
// Each record is JSON with a version field, for example
//
//	{"v":2,"cid":"bafy…","title":"My talk","duration_ns":1200000000000,
//	 "width":1920,"height":1080,"size":123456789,"bytes_local":123500000,
//	 "watch_count":2,"last_position_ns":61000000000,
//	 "first_watched":"2025-01-02T10:00:00Z","last_watched":"2025-01-03T20:00:00Z",
//	 "added":"2025-01-02T10:00:00Z","kept":["pinned","cache"]}
//
// Durations are integer nanoseconds and times UTC, so values round-trip
// exactly. The compatibility rule:
//   - Adding a field keeps "v" at its value. A build that does not know the
//     field reads the rest and, when it rewrites the record, writes the
//     unknown field back unchanged (Put included), so an older build never
//     drops what a newer one added. (The seeding work adds popularity,
//     seeding state, bytes served and provider counts this way.)
//   - Changing a field's meaning, or adding a keep reason, bumps "v". An
//     older build still reads such a record (the fields it knows; unknown
//     keep reasons are ignored) but refuses every write to it with
//     ErrNewerRecord; Delete still works.
//
// A record that cannot be read (bad JSON, a CID that is not the key, a
// negative duration...) is a *RecordError (errors.Is ErrCorrupt). Get
// returns it; List and Search leave the record out, report it in
// Page.Skipped and log it once; Put replaces it and Delete removes it.
//
// # Why a video is kept
//
// A video's keep bits (Video.Kept) can combine: an own upload is usually
// pinned too, and a video the user pins while auto-seeded carries both
// until the AutoSeeder's next round drops its own bit. Every view says one
// reason, Video.Reason, with this precedence:
//
//	own upload > pinned > auto-seeded > cache
//
// Each is the reason that would still keep the video if the weaker ones
// went (an upload stays when unpinned; a pin stays when auto-seeding lets
// go). A video with none of the first three and any bytes on disk is
// cache, with or without the Cache bit; with no bytes either it is not
// kept. A recursive pin the catalog does not know (made with `ipfs-tube
// add` or `pin add`) is reported as pinned. Own uploads, pins and
// auto-seeded videos are seeded (Reason.Seeded): the Library badges them
// "Seeding" once complete on disk, and the Seeding page lists them; cache
// is not.
//
// # Watching
//
// RecordWatch counts a new viewing when the video was never watched, when
// the previous call is more than the session gap (30 min, WithSessionGap)
// old, or when the previous viewing had finished (within the last 5 % or
// 10 s) and playback went back. Reopening a video five minutes after
// closing it resumes the same viewing; Video.Finished tells the player to
// start over rather than resume.
//
// # Concurrency
//
// All methods are safe for concurrent use. Update, Upsert, RecordWatch,
// SetKept and SetBytesLocal are atomic read-modify-writes in one Badger
// transaction, retried on conflict, so concurrent updates are never lost;
// the function given to Update may therefore run more than once. Subscribe
// delivers committed changes without ever blocking writers; each delivery
// carries the video as stored at that moment.
//
// List and Search scan and decode the whole catalog, which stays well
// under a tenth of a second for thousands of records (TestListScale checks
// 5,000); Search folds non-ASCII titles more slowly than ASCII ones.
//
// # Quota
//
// A Keeper (quota.go) holds the repo's disk use, as du counts it (Badger's
// value log and LSM and this catalog included), within the storage quota
// plus QuotaSlack (16 MiB). Own uploads and pins count first; cached videos
// get what is left and are evicted least recently watched first (never
// watched ones by when they were added), only their file's blocks, keeping
// their history. Fetches reserve their bytes before they start (Reserve);
// an eviction grows Badger's files for a moment (a filler value-log file,
// then rewrites of partly dead ones; DefaultEvictionOverhead), so the
// Keeper evicts down to 56 MiB below the quota: quotas make sense from a
// few hundred MiB up. Quota 0 caches nothing. When own uploads and pins
// alone exceed the quota, State says so and cache gets nothing. A free-disk
// floor (1 % of the disk, at most 1 GiB) stops new writes; what is stored
// is still served. Below the floor the node keeps its own reserve (64 MiB)
// that no block write crosses, for when something else fills the disk
// during a fetch: the store reports ErrDiskFull through Evict and the
// auto-seeding engine's fetches, and the round says the disk is full.
//
// # Seeding hours
//
// SeedHours is a daily window ("23:00-07:00", local wall-clock time,
// start included, end excluded, past midnight when the end comes first;
// the zero value is always) within which the node seeds. WatchSeedHours
// tells the seeding engine when the window opens and closes, from an
// injectable Clock; outside it the engine pauses seeding as the Pause
// button does: the node's upload cap drops to 1 B/s and
// AutoSeeder.SetPaused(true) stops
// fetching (a fetch under way stops and is finished after resuming) while
// what is auto-seeded stays pinned. The AutoSeeder's fetches go through
// the node's download cap (node.PinForSeeding), which the user's own
// playback never meets.
//
// ParseSeedHours reads digits only ("+7:00" and "-0:00" are refused);
// FuzzParseSeedHours holds it and NextChange to their documented
// behaviour, and FuzzDecodeVideo the catalog's records (one JSON object,
// nothing after it; a key encoding/json reads into a field, whatever its
// case, is that field and not an unknown one to carry over).
//
// # Pins outside the catalog
//
// A file imported with `ipfs-tube add` or pinned with `pin add` is a node
// pin and no catalog entry, yet the node serves it. Each AutoSeeder round
// therefore takes the node's recursively pinned files (at most 1024, read
// from local root blocks; directories are left out) as pinned videos for
// that round only, never writing them to the catalog: their blocks are
// indexed so demand for them counts, they are announced, and they are
// never candidates. Without that, a video published from the command
// line drew viewers that no volunteer ever heard of. The
// engine runs without auto-seeding too (the daemon without --auto-seed,
// the window with the switch off), seeding nothing, for these
// announcements.
//
// Each round logs one line, "auto-seed round", whose decision attribute
// says what it fetched, swapped or dropped, or why it did nothing ("nothing:
// best score 0.2 below 0.5 (CID, 1 provider)", "nothing: no demand heard");
// at info level while auto-seeding is on, at debug level while it is off or
// private, where every node would otherwise say so each minute.
//
// # Seeding engine
//
// Seeding (engine.go) is the one seeding engine of a long-running holder
// of the repo, built and started the same way by the window and the
// daemon: the Keeper, the AutoSeeder and the gate that applies the user's
// SeedingChoice (upload cap, download cap, pause, hours) to them and to
// the node's RateLimiter. The app passes the choice in, nothing else.
// Decision: when a part gives up (the Keeper after 10 failed rounds in a
// row, 5 minutes; the AutoSeeder never does on its own) the engine stops
// both, logs the cause at error level and reports it through Failure and
// OnSeedingFailure: the window's status line says "Seeding stopped: …",
// the daemon keeps serving the node (what it holds stays available to
// peers, its caps and hours still apply) and `ipfs-tube seeding` reports
// it. Seeding resumes with a restart: what failed that often is broken.
package library
