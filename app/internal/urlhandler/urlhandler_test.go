package urlhandler

import (
	"slices"
	"testing"
)

const exe = `C:\Users\Ada Lovelace\AppData\Local\IPFS-Tube\ipfs-tube.exe`

func TestSchemeEntriesOpenLinksWithTheProgram(t *testing.T) {
	got := SchemeEntries("ipfs", exe)
	want := []Entry{
		{`Software\Classes\ipfs`, "", "URL:IPFS link"},
		{`Software\Classes\ipfs`, "URL Protocol", ""},
		{`Software\Classes\ipfs\DefaultIcon`, "", exe + ",0"},
		{`Software\Classes\ipfs\shell\open\command`, "", `"` + exe + `" "%1"`},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("SchemeEntries:\n got %q\nwant %q", got, want)
	}
	// The command the shell runs passes the link as one argument to the
	// program, which IsOurs recognises.
	if cmd := got[3].Value; ProgramOf(cmd) != exe || !IsOurs(cmd) {
		t.Errorf("command %s: program %q", cmd, ProgramOf(cmd))
	}
}

func TestOwnEntriesOfferTheAppInDefaultApps(t *testing.T) {
	values := map[string]string{}
	for _, e := range OwnEntries(exe) {
		values[e.Key+`|`+e.Name] = e.Value
	}
	for k, want := range map[string]string{
		`Software\Classes\IPFSTube.Link\shell\open\command|`:   `"` + exe + `" "%1"`,
		`Software\IPFS-Tube\Capabilities\URLAssociations|ipfs`: "IPFSTube.Link",
		`Software\IPFS-Tube\Capabilities\URLAssociations|ipns`: "IPFSTube.Link",
		`Software\IPFS-Tube\Capabilities|ApplicationName`:      "IPFS-Tube",
		`Software\RegisteredApplications|IPFS-Tube`:            `Software\IPFS-Tube\Capabilities`,
		`Software\IPFS-Tube|LinksRegistered`:                   "1",
		`Software\Classes\IPFSTube.Link|URL Protocol`:          "",
	} {
		if got, ok := values[k]; !ok || got != want {
			t.Errorf("%s = %q (present %v), want %q", k, got, ok, want)
		}
	}
	// Every key written is removed on reset: under one of OwnedKeys, or the
	// RegisteredApplications value removed on its own.
	rk, _ := RegisteredAppsValue()
	for _, e := range OwnEntries(exe) {
		if e.Key == rk {
			continue
		}
		if !slices.ContainsFunc(OwnedKeys(), func(k string) bool { return e.Key == k || len(e.Key) > len(k) && e.Key[:len(k)+1] == k+`\` }) {
			t.Errorf("%s is written but not removed by Unregister", e.Key)
		}
	}
}

func TestProgramOf(t *testing.T) {
	for cmd, want := range map[string]string{
		`"C:\Program Files\x\ipfs-tube.exe" "%1"`: `C:\Program Files\x\ipfs-tube.exe`,
		`C:\x\ipfs-tube.exe "%1"`:                 `C:\x\ipfs-tube.exe`,
		`  C:\x\other.exe`:                        `C:\x\other.exe`,
		`"C:\unterminated\ipfs-tube.exe`:          `C:\unterminated\ipfs-tube.exe`,
		``:                                        ``,
	} {
		if got := ProgramOf(cmd); got != want {
			t.Errorf("ProgramOf(%q) = %q, want %q", cmd, got, want)
		}
	}
}

func TestStateOf(t *testing.T) {
	for _, c := range []struct {
		cmd  string
		want State
	}{
		{"", Free},
		{"   ", Free},
		{`"` + exe + `" "%1"`, Current},
		{`"C:\USERS\ADA LOVELACE\APPDATA\LOCAL\IPFS-TUBE\IPFS-TUBE.EXE" "%1"`, Current}, // paths are case-insensitive
		{`"D:\Apps\IPFS-Tube\ipfs-tube.exe" "%1"`, Moved},
		{`"C:\Program Files\IPFS Desktop\IPFS Desktop.exe" "%1"`, Other},
		{`"C:\x\ipfs-tube.exe.bak" "%1"`, Other},
	} {
		if got := StateOf(c.cmd, exe); got != c.want {
			t.Errorf("StateOf(%q) = %v, want %v", c.cmd, got, c.want)
		}
	}
}

func TestPlanOnlyTakesFreeSchemesAndFollowsMoves(t *testing.T) {
	all := func(st State) map[string]State { return map[string]State{"ipfs": st, "ipns": st} }
	for _, c := range []struct {
		name     string
		firstRun bool
		own      State
		schemes  map[string]State
		write    []string
		writeOwn bool
	}{
		{"first run, nothing registered", true, Free, all(Free), []string{"ipfs", "ipns"}, true},
		{"first run, another app has ipfs", true, Free, map[string]State{"ipfs": Other, "ipns": Free}, []string{"ipns"}, true},
		{"first run, all taken: still offered in Default apps", true, Free, all(Other), nil, true},
		{"first run of a moved copy", true, Moved, all(Moved), []string{"ipfs", "ipns"}, true},
		{"later run, all current", false, Current, all(Current), nil, false},
		{"later run, user removed the links", false, Free, all(Free), nil, false},
		{"later run, another app took them", false, Current, all(Other), nil, false},
		{"later run, app moved", false, Moved, all(Moved), []string{"ipfs", "ipns"}, true},
		{"later run, only the ProgID moved", false, Moved, all(Other), nil, true},
	} {
		write, writeOwn := Plan(c.firstRun, c.own, c.schemes)
		if !slices.Equal(write, c.write) || writeOwn != c.writeOwn {
			t.Errorf("%s: Plan = %v, %v; want %v, %v", c.name, write, writeOwn, c.write, c.writeOwn)
		}
	}
}
