package main

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
)

// windowControl is what the control API asks of an open app window. A
// second `ipfs-tube LINK` or `ipfs-tube FILE` (a protocol handler, "Open
// with" in a file manager) hands its argument to the running window instead
// of failing on the repo lock, the way desktop apps stay single-instance.
type windowControl interface {
	// Open plays a link, or uploads a file or folder path as if it had been
	// dropped on the window; "" only brings the window forward. It returns once the window has taken the
	// request; the work itself shows in the window.
	Open(arg string) error
	// State is a snapshot of what the window shows, for scripts and the
	// end-to-end test.
	State() windowState
	// Show switches the window to a view (watch, library, upload, seeding,
	// settings).
	Show(view string) error
}

// windowState is the reply of app/state.
type windowState struct {
	// View is the page on screen: watch, library, upload, seeding,
	// settings.
	View string `json:"view"`
	// Player is the player's state (idle, loading, playing, paused,
	// buffering, ended, error) and position in seconds.
	Player    string  `json:"player"`
	PositionS float64 `json:"position_s"`
	PlayerErr string  `json:"player_error,omitempty"`
	// VideoRect is where the video picture is drawn, in window pixels:
	// x, y, width, height; zeros when no video shows.
	VideoRect  [4]int `json:"video_rect"`
	NodeOnline bool   `json:"node_online"`
	// Uploads lists the upload rows: the file name, its phase and the
	// error shown, if any.
	Uploads []uploadState `json:"uploads"`
	// Library counts the catalog's videos.
	Library int `json:"library"`
}

type uploadState struct {
	Name  string `json:"name"`
	Phase string `json:"phase"`
	Error string `json:"error,omitempty"`
}

// errNoWindow answers app/ requests to a daemon, which has no window.
var errNoWindow = usagef("a daemon holds this repo, not the app window; stop it and start `ipfs-tube` to open videos in a window")

// serveWindow handles app/open and app/state; false when op is neither.
func (s *controlServer) serveWindow(w http.ResponseWriter, op string, q url.Values) (bool, error) {
	switch op {
	case "app/open", "app/state", "app/show":
	default:
		return false, nil
	}
	if s.window == nil {
		return true, errNoWindow
	}
	var err error
	switch op {
	case "app/state":
		writeJSON(w, s.window.State())
		return true, nil
	case "app/show":
		err = s.window.Show(q.Get("arg"))
	default:
		err = s.window.Open(q.Get("arg"))
	}
	if err != nil {
		return true, err
	}
	writeJSON(w, map[string]bool{"ok": true})
	return true, nil
}

// handOff gives arg to the window that holds the repo. Relative file
// paths are made absolute here: the window runs in another directory.
func (c *controlClient) handOff(ctx context.Context, arg string) error {
	if _, err := os.Stat(arg); err == nil && !filepath.IsAbs(arg) {
		if abs, err := filepath.Abs(arg); err == nil {
			arg = abs
		}
	}
	_, err := c.do(ctx, http.MethodPost, "app/open", url.Values{"arg": {arg}}, http.NoBody, &map[string]bool{})
	return err
}

// windowState asks the window holding the repo what it shows.
func (c *controlClient) windowState(ctx context.Context) (windowState, error) {
	var st windowState
	_, err := c.do(ctx, http.MethodGet, "app/state", nil, nil, &st)
	return st, err
}

// showView switches the window holding the repo to a view.
func (c *controlClient) showView(ctx context.Context, view string) error {
	_, err := c.do(ctx, http.MethodPost, "app/show", url.Values{"arg": {view}}, http.NoBody, &map[string]bool{})
	return err
}
