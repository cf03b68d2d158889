package settings

import (
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"strings"
)

// ErrStartAtLoginUnsupported is returned by SetStartAtLogin on systems where
// the app cannot register itself (anything but Linux, Windows and macOS).
var ErrStartAtLoginUnsupported = errors.New("start at login is not supported on this OS yet")

// autostartName is the XDG autostart entry's file name.
const autostartName = "ipfs-tube.desktop"

// launchAgentLabel names the macOS LaunchAgent (and its plist file): the
// app ID, as launchd labels are reverse-DNS by convention.
const launchAgentLabel = "io.github.ipfs_tube.IPFSTube"

// runValueName is the value under Windows' HKCU\...\Run key.
const runValueName = "IPFS-Tube"

// SetStartAtLogin registers the app to start when the user logs in, or
// removes that registration. exe is the program to run ("" means this
// executable, os.Executable); args follow it. Removing an entry that is not
// there is not an error.
func SetStartAtLogin(enable bool, exe string, args ...string) error {
	if enable && exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return fmt.Errorf("settings.SetStartAtLogin: %w", err)
		}
	}
	if err := setStartAtLogin(enable, append([]string{exe}, args...)); err != nil {
		return fmt.Errorf("settings.SetStartAtLogin: %w", err)
	}
	return nil
}

// StartAtLoginEnabled reports whether the login entry exists.
func StartAtLoginEnabled() (bool, error) {
	ok, err := startAtLoginEnabled()
	if err != nil {
		return false, fmt.Errorf("settings.StartAtLoginEnabled: %w", err)
	}
	return ok, nil
}

// desktopEntry is an XDG autostart entry that runs argv.
func desktopEntry(argv []string) string {
	quoted := make([]string, len(argv))
	for i, a := range argv {
		quoted[i] = execArg(a)
	}
	return strings.Join([]string{
		"[Desktop Entry]",
		"Type=Application",
		"Name=IPFS-Tube",
		"Comment=Watch, publish and seed video over IPFS",
		"Exec=" + strings.Join(quoted, " "),
		"Icon=io.github.ipfs_tube.IPFSTube",
		"Terminal=false",
		"X-GNOME-Autostart-enabled=true",
		"",
	}, "\n")
}

// execArg quotes one argument of a desktop entry's Exec key: arguments with
// reserved characters go in double quotes with ", `, $ and \ escaped, then
// the string-value escaping doubles every backslash, and % is doubled
// because it introduces field codes.
func execArg(a string) string {
	if a != "" && !strings.ContainsAny(a, " \t\n\"'\\><~|&;$*?#()`") {
		return strings.ReplaceAll(a, "%", "%%")
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range a {
		switch r {
		case '"', '`', '$':
			b.WriteString(`\`)
			b.WriteRune(r)
		case '\\':
			b.WriteString(`\\`)
		case '%':
			b.WriteString("%%")
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return strings.ReplaceAll(b.String(), `\`, `\\`)
}

// windowsCommandLine joins argv the way Windows programs split it again
// (CommandLineToArgvW, which Go's os.Args on Windows follows): an argument
// with a space, a tab or a quote, or an empty one, goes in double quotes;
// backslashes are doubled only where they precede a quote (an escaped one
// or the closing one). syscall.EscapeArg does this but exists only on
// Windows, and this is unit-tested everywhere.
func windowsCommandLine(argv []string) string {
	out := make([]string, len(argv))
	for i, a := range argv {
		if a != "" && !strings.ContainsAny(a, " \t\"") {
			out[i] = a
			continue
		}
		var b strings.Builder
		b.WriteByte('"')
		slashes := 0
		for _, r := range a {
			switch r {
			case '\\':
				slashes++
				continue
			case '"':
				b.WriteString(strings.Repeat(`\`, 2*slashes+1))
			default:
				b.WriteString(strings.Repeat(`\`, slashes))
			}
			slashes = 0
			b.WriteRune(r)
		}
		b.WriteString(strings.Repeat(`\`, 2*slashes))
		b.WriteByte('"')
		out[i] = b.String()
	}
	return strings.Join(out, " ")
}

// launchAgentPlist is a macOS LaunchAgent that runs argv once at login.
// ProcessType Interactive keeps macOS from throttling a window app the way
// it throttles background daemons; no KeepAlive, so quitting stays quit.
func launchAgentPlist(argv []string) string {
	esc := func(s string) string {
		var b strings.Builder
		_ = xml.EscapeText(&b, []byte(s)) // a strings.Builder does not fail
		return b.String()
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>` + esc(launchAgentLabel) + `</string>
	<key>ProgramArguments</key>
	<array>
`)
	for _, a := range argv {
		b.WriteString("\t\t<string>" + esc(a) + "</string>\n")
	}
	b.WriteString(`	</array>
	<key>RunAtLoad</key>
	<true/>
	<key>ProcessType</key>
	<string>Interactive</string>
</dict>
</plist>
`)
	return b.String()
}
