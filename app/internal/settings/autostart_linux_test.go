package settings

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStartAtLoginWritesAndRemovesXDGEntry(t *testing.T) {
	cfg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfg)
	path := filepath.Join(cfg, "autostart", "ipfs-tube.desktop")

	if on, err := StartAtLoginEnabled(); err != nil || on {
		t.Fatalf("before: %v, %v", on, err)
	}
	exe := "/opt/IPFS Tube/ipfs-tube"
	if err := SetStartAtLogin(true, exe, "--tray", "100%"); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, want := range []string{
		"[Desktop Entry]\n",
		"\nType=Application\n",
		"\nExec=\"/opt/IPFS Tube/ipfs-tube\" --tray 100%%\n",
		"\nName=IPFS-Tube\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("entry lacks %q:\n%s", want, text)
		}
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v", fi.Mode().Perm())
	}
	if on, err := StartAtLoginEnabled(); err != nil || !on {
		t.Fatalf("after enabling: %v, %v", on, err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("autostart dir holds %d entries, want 1", len(entries))
	}

	// Enabling with the default executable names this program.
	if err := SetStartAtLogin(true, ""); err != nil {
		t.Fatal(err)
	}
	self, _ := os.Executable()
	if data, _ := os.ReadFile(path); !strings.Contains(string(data), filepath.Base(self)) {
		t.Errorf("default entry does not run %s:\n%s", self, data)
	}

	if err := SetStartAtLogin(false, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("entry still there: %v", err)
	}
	if err := SetStartAtLogin(false, ""); err != nil {
		t.Fatalf("removing twice: %v", err)
	}
}

func TestExecArgQuoting(t *testing.T) {
	for in, want := range map[string]string{
		"/usr/bin/ipfs-tube": "/usr/bin/ipfs-tube",
		"/a b/c":             `"/a b/c"`,
		`/a"b`:               `"/a\\"b"`,
		`C:\x`:               `"C:\\\\x"`,
		"$HOME/x":            `"\\$HOME/x"`,
		"":                   `""`,
	} {
		if got := execArg(in); got != want {
			t.Errorf("execArg(%q) = %s, want %s", in, got, want)
		}
	}
}
