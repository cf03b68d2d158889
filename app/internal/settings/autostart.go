package settings

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// ErrStartAtLoginUnsupported is returned by SetStartAtLogin on systems where
// the app cannot register itself yet (everything but Linux for now).
var ErrStartAtLoginUnsupported = errors.New("start at login is not supported on this OS yet")

// autostartName is the desktop entry's file name; it matches the app ID so a
// packaged .desktop file and the login entry describe the same program.
const autostartName = "ipfs-tube.desktop"

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
		"Icon=ipfs-tube",
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
