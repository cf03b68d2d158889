package kubotest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKuboStarts(t *testing.T) {
	d := StartDaemon(t)

	for _, a := range d.SwarmAddrs {
		if !strings.HasPrefix(a, "/ip4/127.0.0.1/") || !strings.HasSuffix(a, "/p2p/"+d.PeerID) {
			t.Errorf("swarm address %s is not loopback with /p2p/%s", a, d.PeerID)
		}
	}
	if !strings.HasPrefix(d.APIAddr, "/ip4/127.0.0.1/tcp/") {
		t.Errorf("API address %s is not loopback", d.APIAddr)
	}
	if !strings.HasPrefix(d.GatewayAddr, "127.0.0.1:") {
		t.Errorf("gateway address %s is not loopback", d.GatewayAddr)
	}
	// Our importer promises Kubo's CIDs under this profile, so the profile
	// must really be in force.
	if got := d.Run(t, "config", "Import.UnixFSChunker"); got != "size-1048576" {
		t.Errorf("Import.UnixFSChunker = %q, want size-1048576 (unixfs-v1-2025)", got)
	}

	// A bit over 2 MiB spans three 1 MiB chunks, so add and cat cross a
	// dag-pb root with raw leaves, not a single block.
	var content bytes.Buffer
	for i := 0; content.Len() < 2<<20+1000; i++ {
		fmt.Fprintf(&content, "ipfs-tube kubotest line %d\n", i)
	}
	file := filepath.Join(t.TempDir(), "video.txt")
	if err := os.WriteFile(file, content.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cid := d.Run(t, "add", "-Q", "--cid-version=1", file)
	if !strings.HasPrefix(cid, "bafybei") {
		t.Fatalf("ipfs add gave %q, want a CIDv1 dag-pb root (bafybei...)", cid)
	}

	// Run trims white space, so compare the trimmed text; the gateway check
	// below is byte-exact.
	if got := d.Run(t, "cat", cid); got != strings.TrimSpace(content.String()) {
		t.Errorf("ipfs cat returned %d bytes that differ from the %d added", len(got), content.Len())
	}

	resp, err := http.Get(d.GatewayURL() + "/ipfs/" + cid)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, content.Bytes()) {
		t.Errorf("gateway GET /ipfs/%s: status %d, %d bytes, equal=%v", cid, resp.StatusCode, len(body), bytes.Equal(body, content.Bytes()))
	}

	if err := d.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
	if _, err := d.RunErr("swarm", "peers"); err == nil {
		t.Error("ipfs swarm peers succeeded after Stop; daemon still running?")
	}
}

func TestSetKey(t *testing.T) {
	cfg := map[string]any{"Swarm": map[string]any{"RelayClient": nil}, "Bootstrap": "x"}
	if err := setKey(cfg, "Swarm.RelayClient.Enabled", false); err != nil {
		t.Fatal(err)
	}
	if err := setKey(cfg, "Plugins.Plugins.telemetry.Config.Mode", "off"); err != nil {
		t.Fatal(err)
	}
	if got := cfg["Swarm"].(map[string]any)["RelayClient"].(map[string]any)["Enabled"]; got != false {
		t.Errorf("Swarm.RelayClient.Enabled = %v", got)
	}
	if err := setKey(cfg, "Bootstrap.Foo", 1); err == nil {
		t.Error("setKey through a string value succeeded")
	}
}
