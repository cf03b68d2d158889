package main

import (
	"bufio"
	"os"
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
