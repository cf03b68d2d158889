// Package settings keeps what the user chose in the app's window: the
// seeding budget (storage quota, upload cap, pause), private mode, the
// gateway list, the swarm ports, the repo location, the theme, start at
// login and whether closing the window keeps seeding. It has no Fyne in it;
// the settings and seeding views edit it and the shell applies it.
//
// # Usage
//
//	st := settings.NewStore(settings.DefaultDir())
//	s, err := st.Load() // defaults when there is no file yet
//	s, err = st.Update(func(s *settings.Settings) error {
//		s.Quota = 50 << 30
//		return nil
//	})
//	err = settings.SetStartAtLogin(true, "") // XDG autostart entry on Linux
//
// # Where the file lives
//
// One file, settings.json, in the OS's user config directory
// (os.UserConfigDir()/ipfs-tube: ~/.config/ipfs-tube on Linux), not inside
// the repo. The repo location has to live outside the repo anyway, and the
// rest goes with it because node.InitRepo refuses to create a repo in a
// directory that already holds files (so a settings file written before the
// first start would stop the repo from ever being made), because moving or
// replacing the repo should not reset the user's choices, and because the
// XDG convention puts configuration under XDG_CONFIG_HOME and data (the
// repo) under XDG_DATA_HOME. Load and NewStore take the directory, so
// tests and a future --config flag point elsewhere.
//
// # Format
//
// Versioned JSON ({"version":1,...}), written atomically: a temporary file
// in the same directory is written, fsynced and renamed over the old one,
// then the directory is fsynced, so a crash leaves the old file or the new
// one, never half of either. Fields a newer build added are kept when this
// build saves (the file is read again just before writing and unknown keys
// are carried over; a key that differs from a known one only in case is
// that one, as encoding/json reads it, and is not carried over beside it);
// a file whose version is newer than FormatVersion is read, but never
// overwritten, and a value in it this build cannot use takes its default
// (a gateway it cannot use is left out). A missing key takes its default, so
// "gateways": [] (no fallback) differs from no "gateways" key (the
// defaults). A file that is not valid JSON makes Load fail with
// ErrCorrupt and is left untouched; the next Save moves it aside to
// settings.json.corrupt instead of losing it.
//
// # Private mode
//
// PrivateMode means the node never announces anything to the DHT (no
// providing, no reproviding), never seeds other people's videos, and
// serves blocks only of what the user explicitly shares (their own uploads
// and what they pin for sharing). Watching still fetches from peers and
// gateways; the viewer's own cache is not offered to others. The seeding
// engine and the node read this flag; this package only stores it.
//
// # Start at login
//
// SetStartAtLogin registers the program to run when the user logs in, or
// removes that, the way each desktop expects:
//   - Linux: an XDG autostart entry, $XDG_CONFIG_HOME/autostart/ipfs-tube.desktop
//     (~/.config/autostart when XDG_CONFIG_HOME is unset);
//   - Windows: the value "IPFS-Tube" under
//     HKCU\Software\Microsoft\Windows\CurrentVersion\Run, a command line quoted
//     as CommandLineToArgvW splits it;
//   - macOS: a LaunchAgent, ~/Library/LaunchAgents/io.github.ipfs_tube.IPFSTube.plist
//     (RunAtLoad, no KeepAlive: quitting stays quit), read at the next login.
//
// Other systems return ErrStartAtLoginUnsupported. The texts written (the
// desktop entry, the command line, the plist) come from pure functions that
// the tests check on any OS; the Windows and macOS files only move them
// into place.
package settings
