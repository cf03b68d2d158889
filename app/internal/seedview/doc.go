// Package seedview is the seeding dashboard of the app's window, for people
// who lend disk and upload to the network: the storage quota (a slider with
// log-like steps from 1 GiB to the free disk or 2 TiB, and a size entry),
// how much of it is used, the upload cap, the download cap for
// auto-seeding's fetches, the seeding hours, a pause switch, what is
// seeded and why with the bytes each video served, and the upload rate
// over the last hour. A line beside the pause switch says whether seeding
// runs now and, with seeding hours, until when (re-read at every poll).
//
// The controls persist through a Store (settings.Store satisfies it) and,
// when an Engine is given, are handed to it at once; until the seeding
// engine exists they only persist. The numbers come from a Source, polled
// off the UI thread; without one the dashboard says the engine is not
// running and still edits the settings. The chart is fed by RateHistory,
// which this package keeps from the Source's running byte counter, so any
// source that counts uploaded bytes gets a chart.
//
// # Usage
//
//	v := seedview.New(ctx, settings.NewStore(settings.DefaultDir()),
//		seedview.WithSource(engine),   // Used, Seeded, BytesUploaded
//		seedview.WithEngine(engine),   // SetQuota, SetUploadCap, SetDownloadCap, SetPaused, SetSeedHours
//		seedview.WithDiskDir(repoDir)) // free space caps the slider
//	tab := v.Content()
//	defer v.Close()
//
// Typing a quota: "50 GB", "2 TiB" or a bare number of GiB. An upload or
// download cap: "unlimited", "5 MiB/s", "40 Mbit/s" or a bare number of
// MiB/s. Seeding hours: "always" or "23:00-07:00" (local time; see
// library.SeedHours). Every entry applies on Enter; a value that does not
// read is refused under its entry and the saved one stays.
package seedview
