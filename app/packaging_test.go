package main

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/ipfs-tube/ipfs-tube/node"
)

// TestDesktopEntryHandlesLinks checks the launcher entry that makes the
// app the handler of ipfs:// and ipns:// links: the right keys, and an
// Exec line that passes the link the way runApp takes it.
func TestDesktopEntryHandlesLinks(t *testing.T) {
	f, err := os.Open("../packaging/linux/" + appID + ".desktop")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	keys := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			keys[k] = v
		}
	}
	if keys["Exec"] != "ipfs-tube %u" {
		t.Errorf("Exec = %q, want the binary with one URL argument", keys["Exec"])
	}
	for _, mime := range []string{"x-scheme-handler/ipfs;", "x-scheme-handler/ipns;", "video/mp4;"} {
		if !strings.Contains(keys["MimeType"], mime) {
			t.Errorf("MimeType %q lacks %s", keys["MimeType"], mime)
		}
	}
	if keys["Name"] != windowTitle || keys["StartupWMClass"] != windowTitle {
		t.Errorf("Name %q, StartupWMClass %q, want %q", keys["Name"], keys["StartupWMClass"], windowTitle)
	}
}

// TestIconResources checks the icon sizes the window and the tray ask for
// are bundled (iconResource panics otherwise).
func TestIconResources(t *testing.T) {
	for _, size := range []int{windowIconSize, smallIconSize} {
		r := iconResource(size)
		if len(r.Content()) == 0 || !strings.HasSuffix(r.Name(), ".png") {
			t.Errorf("%d px icon: %q, %d bytes", size, r.Name(), len(r.Content()))
		}
	}
}

// TestUnregisterRemovesStartAtLogin runs the reset against a config
// directory holding an autostart entry and a settings file that says start
// at login: both say no afterwards, and running it again is fine. On Linux
// `register` explains that the desktop file does that job (exit 2).
func TestUnregisterRemovesStartAtLogin(t *testing.T) {
	cfg := t.TempDir()
	entry := filepath.Join(cfg, "autostart", "ipfs-tube.desktop")
	if err := os.MkdirAll(filepath.Dir(entry), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(entry, []byte("[Desktop Entry]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	settingsFile := filepath.Join(cfg, "ipfs-tube", "settings.json")
	if err := os.MkdirAll(filepath.Dir(settingsFile), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(settingsFile, []byte(`{"version":1,"startAtLogin":true}`), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, int) {
		cmd := exec.Command(binPath, args...)
		cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+cfg)
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		return string(out), cmd.ProcessState.ExitCode()
	}
	for i := 0; i < 2; i++ {
		if out, code := run("unregister"); code != 0 || !strings.Contains(out, "removed") {
			t.Fatalf("unregister #%d: exit %d: %s", i+1, code, out)
		}
		if _, err := os.Stat(entry); !os.IsNotExist(err) {
			t.Fatalf("autostart entry still there: %v", err)
		}
		data, err := os.ReadFile(settingsFile)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), `"startAtLogin": false`) {
			t.Fatalf("settings after unregister: %s", data)
		}
	}
	out, code := run("register")
	if code != exitUsage || !strings.Contains(out, "desktop file") {
		t.Errorf("register on Linux: exit %d: %s", code, out)
	}
}

// TestFyneAppMetadataAgrees keeps app/FyneApp.toml (read by `fyne package`
// and the Makefile's packaging) in step with the code: the same app ID and
// name, and node.Version's default is the development build of its Version.
func TestFyneAppMetadataAgrees(t *testing.T) {
	data, err := os.ReadFile("FyneApp.toml")
	if err != nil {
		t.Fatal(err)
	}
	fields := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(strings.TrimSpace(line), "#") {
			fields[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"`)
		}
	}
	if fields["ID"] != appID || fields["Name"] != windowTitle {
		t.Errorf("FyneApp.toml ID %q, Name %q; the app uses %q, %q", fields["ID"], fields["Name"], appID, windowTitle)
	}
	if want := fields["Version"] + "-dev"; node.Version != want {
		t.Errorf("node.Version = %q, want %q (FyneApp.toml's Version)", node.Version, want)
	}
	if _, err := os.Stat(fields["Icon"]); err != nil {
		t.Errorf("FyneApp.toml's Icon: %v", err)
	}
}

// TestMacInfoPlistDeclaresLinks reads packaging/macos/Info.plist, which
// replaces the one `fyne package` writes: the bundle is this app and the
// ipfs and ipns URL schemes are declared.
func TestMacInfoPlistDeclaresLinks(t *testing.T) {
	data, err := os.ReadFile("../packaging/macos/Info.plist")
	if err != nil {
		t.Fatal(err)
	}
	root, err := parsePlist(data)
	if err != nil {
		t.Fatal(err)
	}
	top, ok := root.(map[string]any)
	if !ok {
		t.Fatalf("the plist's root is %T, want a dict", root)
	}
	if top["CFBundleIdentifier"] != appID || top["CFBundleExecutable"] != "ipfs-tube" || top["CFBundleName"] != windowTitle {
		t.Errorf("bundle %v / %v / %v", top["CFBundleIdentifier"], top["CFBundleExecutable"], top["CFBundleName"])
	}
	var schemes []string
	types, _ := top["CFBundleURLTypes"].([]any)
	for _, ty := range types {
		d, _ := ty.(map[string]any)
		list, _ := d["CFBundleURLSchemes"].([]any)
		for _, s := range list {
			schemes = append(schemes, fmt.Sprint(s))
		}
	}
	if !slices.Contains(schemes, "ipfs") || !slices.Contains(schemes, "ipns") {
		t.Errorf("URL schemes %v, want ipfs and ipns", schemes)
	}
}

// parsePlist decodes the XML property list subset Info.plist uses: dict,
// array, string and the booleans.
func parsePlist(data []byte) (any, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	var parse func(start xml.StartElement) (any, error)
	parse = func(start xml.StartElement) (any, error) {
		switch start.Name.Local {
		case "string", "key":
			var s string
			err := dec.DecodeElement(&s, &start)
			return s, err
		case "true", "false":
			return start.Name.Local == "true", dec.Skip()
		}
		var items []any
		for {
			tok, err := dec.Token()
			if err != nil {
				return nil, err
			}
			switch tok := tok.(type) {
			case xml.StartElement:
				v, err := parse(tok)
				if err != nil {
					return nil, err
				}
				items = append(items, v)
			case xml.EndElement:
				switch start.Name.Local {
				case "dict":
					if len(items)%2 != 0 {
						return nil, fmt.Errorf("a dict with a key and no value")
					}
					m := map[string]any{}
					for i := 0; i < len(items); i += 2 {
						m[fmt.Sprint(items[i])] = items[i+1]
					}
					return m, nil
				case "plist":
					if len(items) != 1 {
						return nil, fmt.Errorf("plist holds %d values", len(items))
					}
					return items[0], nil
				}
				return items, nil
			}
		}
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		if start, ok := tok.(xml.StartElement); ok {
			return parse(start)
		}
	}
}

// TestFlatpakManifest reads the Flatpak manifest, which no machine here can
// build: it is valid YAML, names this app and its command, builds libmpv,
// and installs the desktop file, metainfo and icon under the app ID.
func TestFlatpakManifest(t *testing.T) {
	data, err := os.ReadFile("../packaging/flatpak/" + appID + ".yml")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		ID         string   `yaml:"id"`
		Command    string   `yaml:"command"`
		FinishArgs []string `yaml:"finish-args"`
		Modules    []struct {
			Name          string   `yaml:"name"`
			ConfigOpts    []string `yaml:"config-opts"`
			BuildCommands []string `yaml:"build-commands"`
		} `yaml:"modules"`
	}
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if m.ID != appID || m.Command != "ipfs-tube" {
		t.Errorf("id %q, command %q", m.ID, m.Command)
	}
	if !slices.Contains(m.FinishArgs, "--share=network") {
		t.Errorf("finish-args %v lack the network the node needs", m.FinishArgs)
	}
	var libmpv bool
	var installs string
	for _, mod := range m.Modules {
		libmpv = libmpv || mod.Name == "mpv" && slices.Contains(mod.ConfigOpts, "-Dlibmpv=true")
		if mod.Name == "ipfs-tube" {
			installs = strings.Join(mod.BuildCommands, "\n")
		}
	}
	if !libmpv {
		t.Error("no mpv module building libmpv")
	}
	for _, f := range []string{"/app/bin/ipfs-tube", "/app/share/applications/" + appID + ".desktop",
		"/app/share/metainfo/" + appID + ".metainfo.xml", "/app/share/icons/hicolor/scalable/apps/" + appID + ".svg"} {
		if !strings.Contains(installs, f) {
			t.Errorf("the ipfs-tube module does not install %s", f)
		}
	}
}
