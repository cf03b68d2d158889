// Package urlhandler makes IPFS-Tube the program that opens ipfs:// and
// ipns:// links on Windows, for the current user, without an installer or
// administrator rights. On Linux the desktop file that the packages install
// does this, and on macOS the app bundle's Info.plist; there the functions
// that touch the registry return ErrUnsupported.
//
// # What is written
//
// Everything lives under HKEY_CURRENT_USER (see OwnEntries and SchemeEntries):
//
//	Software\Classes\ipfs, Software\Classes\ipns  the schemes: "URL Protocol",
//	    DefaultIcon, shell\open\command = "C:\…\ipfs-tube.exe" "%1"
//	Software\Classes\IPFSTube.Link                the same handler as a ProgID
//	Software\IPFS-Tube\Capabilities               what Settings → Default apps
//	Software\RegisteredApplications\IPFS-Tube     lists, so the user can pick us
//	Software\IPFS-Tube\LinksRegistered            the first-run mark
//
// # When
//
// The app calls OnStart each time its window opens. On the first run (no
// mark) it registers the schemes nobody else handles, and leaves a scheme
// that another program handles alone; later runs only follow the program
// when it moved (the registered command names an ipfs-tube.exe elsewhere),
// and never bring back a scheme the user or another program removed or took.
// `ipfs-tube register` takes the schemes over explicitly; `ipfs-tube
// unregister` (the reset, to run before deleting the app) removes all of it,
// the mark included, so the next start is a first run again.
//
// The registry calls are a thin layer over the pure functions here (Entries,
// ProgramOf, StateOf, Plan), which the tests cover on any OS.
package urlhandler

import (
	"errors"
	"path/filepath"
	"strings"
)

// ErrUnsupported is returned where links are registered by other means.
var ErrUnsupported = errors.New("urlhandler: link handlers are registered by the package on this OS")

// Schemes are the link schemes IPFS-Tube opens.
var Schemes = []string{"ipfs", "ipns"}

const (
	classesKey = `Software\Classes`
	// progID names our handler for Windows' default-apps machinery.
	progID = "IPFSTube.Link"
	// appKey holds our own state and capabilities.
	appKey          = `Software\IPFS-Tube`
	capabilitiesKey = appKey + `\Capabilities`
	registeredApps  = `Software\RegisteredApplications`
	appName         = "IPFS-Tube"
	// markValue under appKey records that the first run registered the
	// links, so later runs respect what the user changed since.
	markValue = "LinksRegistered"
	exeName   = "ipfs-tube.exe"
)

// Entry is one string value to write under HKEY_CURRENT_USER; Name "" is
// the key's default value.
type Entry struct {
	Key, Name, Value string
}

// command is what Windows runs for a link: the program, quoted (a Windows
// path cannot contain a double quote, so quoting it whole is enough), and
// the link as one argument.
func command(exe string) string {
	return `"` + exe + `" "%1"`
}

// handlerEntries are the values that make key open links with exe.
func handlerEntries(key, description, exe string) []Entry {
	return []Entry{
		{key, "", description},
		{key, "URL Protocol", ""},
		{key + `\DefaultIcon`, "", exe + ",0"},
		{key + `\shell\open\command`, "", command(exe)},
	}
}

// SchemeEntries are the values that make scheme open with exe.
func SchemeEntries(scheme, exe string) []Entry {
	return handlerEntries(classesKey+`\`+scheme, "URL:"+strings.ToUpper(scheme)+" link", exe)
}

// OwnEntries are the values that offer exe in Default apps for all
// Schemes, plus the first-run mark. Entries for a scheme are
// SchemeEntries.
func OwnEntries(exe string) []Entry {
	out := handlerEntries(classesKey+`\`+progID, appName+" link", exe)
	out = append(out,
		Entry{capabilitiesKey, "ApplicationName", appName},
		Entry{capabilitiesKey, "ApplicationDescription", "Watch, share and seed video over IPFS"},
		Entry{capabilitiesKey, "ApplicationIcon", exe + ",0"},
	)
	for _, s := range Schemes {
		out = append(out, Entry{capabilitiesKey + `\URLAssociations`, s, progID})
	}
	return append(out,
		Entry{registeredApps, appName, capabilitiesKey},
		Entry{appKey, markValue, "1"},
	)
}

// ProgIDCommandKey holds the command of our ProgID.
func ProgIDCommandKey() string { return classesKey + `\` + progID + `\shell\open\command` }

// OwnedKeys are the keys that are ours alone, removed whole on reset. The
// scheme keys are removed only while they still point at an ipfs-tube.exe
// (see IsOurs), and the RegisteredApplications value by itself.
func OwnedKeys() []string {
	return []string{classesKey + `\` + progID, appKey}
}

// SchemeKey is where scheme's handler lives.
func SchemeKey(scheme string) string { return classesKey + `\` + scheme }

// SchemeCommandKey holds the command that opens scheme's links.
func SchemeCommandKey(scheme string) string { return SchemeKey(scheme) + `\shell\open\command` }

// RegisteredAppsValue is the key and value name of our RegisteredApplications entry.
func RegisteredAppsValue() (key, name string) { return registeredApps, appName }

// MarkValue is the key and value name of the first-run mark.
func MarkValue() (key, name string) { return appKey, markValue }

// ProgramOf returns the program of a Windows command line: the first
// argument, quoted or not.
func ProgramOf(cmdline string) string {
	s := strings.TrimLeft(cmdline, " \t")
	if strings.HasPrefix(s, `"`) {
		if end := strings.IndexByte(s[1:], '"'); end >= 0 {
			return s[1 : end+1]
		}
		return s[1:]
	}
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		return s[:i]
	}
	return s
}

// baseName is the last element of a Windows path; filepath.Base does not
// split on backslashes off Windows, and this has to work in tests too.
func baseName(p string) string {
	if i := strings.LastIndexAny(p, `\/`); i >= 0 {
		return p[i+1:]
	}
	return p
}

// IsOurs says whether a registered command runs an ipfs-tube.exe (any
// copy: the app may have moved since).
func IsOurs(cmdline string) bool {
	return strings.EqualFold(baseName(ProgramOf(cmdline)), exeName)
}

// State is who handles a scheme now.
type State int

const (
	// Free: no handler registered for this user.
	Free State = iota
	// Current: this very program.
	Current
	// Moved: an ipfs-tube.exe at another path (the app was moved or
	// reinstalled elsewhere).
	Moved
	// Other: another program.
	Other
)

// StateOf classifies a scheme's registered command ("" when none) against
// exe, the running program.
func StateOf(cmdline, exe string) State {
	switch {
	case strings.TrimSpace(cmdline) == "":
		return Free
	case !IsOurs(cmdline):
		return Other
	case strings.EqualFold(filepath.Clean(ProgramOf(cmdline)), filepath.Clean(exe)):
		return Current
	}
	return Moved
}

// Decide says whether to write a handler at start: on the first run (no
// mark) when it is free or already ours; afterwards only to follow the
// program when it moved.
func Decide(firstRun bool, st State) bool {
	if firstRun {
		return st != Other
	}
	return st == Moved
}

// Plan is what OnStart writes: the schemes to point at this program, and
// whether to write our own keys (ProgID, capabilities, the mark). own is
// the state of our ProgID's command; schemes maps each of Schemes to its
// state.
func Plan(firstRun bool, own State, schemes map[string]State) (write []string, writeOwn bool) {
	for _, s := range Schemes {
		if Decide(firstRun, schemes[s]) && schemes[s] != Current {
			write = append(write, s)
		}
	}
	writeOwn = firstRun || own == Moved || len(write) > 0
	return write, writeOwn
}
