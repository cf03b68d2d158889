package settings

import (
	"encoding/xml"
	"slices"
	"strings"
	"testing"
)

// TestWindowsCommandLine covers what the Run key holds: Windows splits it
// again with CommandLineToArgvW's rules, where backslashes are literal
// unless they precede a quote.
func TestWindowsCommandLine(t *testing.T) {
	for _, c := range []struct {
		argv []string
		want string
	}{
		{[]string{`C:\Users\ada\AppData\Local\IPFS-Tube\ipfs-tube.exe`}, `C:\Users\ada\AppData\Local\IPFS-Tube\ipfs-tube.exe`},
		{[]string{`C:\Program Files\IPFS-Tube\ipfs-tube.exe`, "--tray"}, `"C:\Program Files\IPFS-Tube\ipfs-tube.exe" --tray`},
		{[]string{"x", ""}, `x ""`},
		{[]string{`a"b`}, `"a\"b"`},
		{[]string{`C:\dir with space\`}, `"C:\dir with space\\"`},
		{[]string{`a\\"b`}, `"a\\\\\"b"`},
		{[]string{`a\b c`}, `"a\b c"`},
		{[]string{"100%"}, "100%"},
	} {
		if got := windowsCommandLine(c.argv); got != c.want {
			t.Errorf("windowsCommandLine(%q) = %s, want %s", c.argv, got, c.want)
		}
	}
}

// TestLaunchAgentPlist parses the LaunchAgent back: its label, the program
// and arguments in order (XML-escaped on the way in), run at load.
func TestLaunchAgentPlist(t *testing.T) {
	argv := []string{"/Applications/IPFS-Tube.app/Contents/MacOS/ipfs-tube", "--repo", "/Users/a&b/<repo>"}
	text := launchAgentPlist(argv)
	var doc struct {
		Dict struct {
			Items []struct {
				XMLName xml.Name
				Text    string   `xml:",chardata"`
				Strings []string `xml:"string"`
			} `xml:",any"`
		} `xml:"dict"`
	}
	if err := xml.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatalf("not XML: %v\n%s", err, text)
	}
	values := map[string]int{}
	items := doc.Dict.Items
	for i := 0; i+1 < len(items); i += 2 {
		if items[i].XMLName.Local != "key" {
			t.Fatalf("item %d is <%s>, want <key>", i, items[i].XMLName.Local)
		}
		values[items[i].Text] = i + 1
	}
	get := func(key string) (string, []string, string) {
		i, ok := values[key]
		if !ok {
			t.Fatalf("no %s in\n%s", key, text)
		}
		return items[i].XMLName.Local, items[i].Strings, strings.TrimSpace(items[i].Text)
	}
	if kind, _, label := get("Label"); kind != "string" || label != "io.github.ipfs_tube.IPFSTube" {
		t.Errorf("Label = <%s>%s", kind, label)
	}
	if kind, args, _ := get("ProgramArguments"); kind != "array" || !slices.Equal(args, argv) {
		t.Errorf("ProgramArguments = <%s>%q, want %q", kind, args, argv)
	}
	if kind, _, _ := get("RunAtLoad"); kind != "true" {
		t.Errorf("RunAtLoad = <%s>", kind)
	}
}
