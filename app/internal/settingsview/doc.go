// Package settingsview is the Settings page of the app's window: where the
// repo lives, the swarm ports, the gateway list (add, remove, reorder), private
// mode, start at login, keeping seeding when the window closes, and the
// theme. It also shows how the gateway fallback currently ranks the
// gateways, when a GatewayRanking is given.
//
// Fields are checked as the user saves, with the message next to the field,
// and nothing is written while any is invalid. Save persists through a Store
// (*settings.Store satisfies it) with a read-modify-write that touches only
// this page's fields, so the seeding dashboard's quota is never undone by a
// stale form; Revert reloads the saved values. The repo location and the
// ports take effect after a restart, which the page says. The theme is the
// exception to Save: it applies and is saved the moment it is picked, as
// appearance settings do on desktops, so what is on screen is what the next
// start shows.
//
// # Usage
//
//	v := settingsview.New(ctx, settings.NewStore(settings.DefaultDir()), win,
//		settingsview.WithGatewayRanking(fallback), // optional
//		settingsview.WithDefaultRepo(defaultRepo))  // shown when none is set
//	tab := v.Content()
//	defer v.Close()
//
//	settingsview.ApplyTheme(app, saved.Theme) // at start
package settingsview
