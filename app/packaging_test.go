package main

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
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
