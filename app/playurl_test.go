package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipfs-tube/ipfs-tube/internal/testvideo"
)

func TestCheckPlayURL(t *testing.T) {
	for _, tc := range []struct {
		url          string
		loopbackOnly bool
		ok           bool
	}{
		{"http://127.0.0.1:8080/tok/ipfs/bafy", true, true},
		{"http://127.3.4.5/x.mp4", true, true},
		{"https://[::1]:9/x.mp4", true, true},
		{"http://[::ffff:127.0.0.1]:9/x.mp4", true, true},
		{"http://example.invalid/x.mp4", true, false},
		// A name, even this one, would be looked up.
		{"http://localhost:8080/x.mp4", true, false},
		{"http://192.0.2.1/x.mp4", true, false},
		{"http://[fe80::1%25eth0]/x.mp4", true, false},
		{"http://0.0.0.0:8080/x.mp4", true, false},
		{"http://example.invalid/x.mp4", false, true},
		{"https://192.0.2.1/x.mp4", false, true},
		{"ftp://127.0.0.1/x.mp4", false, false},
		{"http:///x.mp4", false, false},
		{"file:///etc/passwd", true, false},
		{"http://127.0.0.1:bad/x", false, false},
	} {
		err := checkPlayURL(tc.url, tc.loopbackOnly)
		if (err == nil) != tc.ok {
			t.Errorf("checkPlayURL(%q, loopback only %v) = %v, want ok %v", tc.url, tc.loopbackOnly, err, tc.ok)
		}
	}
	err := checkPlayURL("http://example.invalid/x.mp4", true)
	if err == nil || !strings.Contains(err.Error(), "only loopback URLs") || !strings.Contains(err.Error(), "example.invalid") {
		t.Errorf("refusal reads %q, want it to say only loopback URLs are played and name the host", err)
	}
}

// With --isolated (which runCLI always passes) a URL off loopback is
// refused as bad input before the player or any name lookup sees it.
func TestCLIPlayIsolatedRefusesOtherHosts(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "repo")
	// A real video served on loopback but named by 0.0.0.0, which Linux
	// connects to this machine: a URL off loopback to the check, while a
	// regression still sends nothing beyond this machine.
	video := testvideo.Make(t, testvideo.Spec{Duration: 2 * time.Second, FastStart: true})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var requests atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		http.ServeFile(w, r, video)
	}))
	srv.Listener = l
	srv.Start()
	defer srv.Close()
	target := fmt.Sprintf("http://0.0.0.0:%d/x.mp4", l.Addr().(*net.TCPAddr).Port)
	r := runCLI(t, repo, nil, "play", target, "--headless", "--duration", "500ms")
	t.Logf("%s: exit %d: %s", target, r.code, strings.TrimSpace(r.stderr))
	if r.code != 2 || requests.Load() != 0 || !strings.Contains(r.stderr, "only loopback URLs") {
		t.Errorf("exit %d with %d requests to %s, stderr %q; want 2, none, and a message that only loopback URLs are played", r.code, requests.Load(), target, r.stderr)
	}
}
