package playerview

import (
	"context"
	"errors"
	"strings"

	"github.com/ipfs-tube/ipfs-tube/app/internal/link"
	"github.com/ipfs-tube/ipfs-tube/playback"
)

const (
	emptyHeadline = "Nothing playing"
	emptyHint     = "Paste a CID or an ipfs:// link, drop a video on the window, or pick one from the library."
)

// describe words the view's state for the viewer: a headline over the
// video and a line of explanation. Both are "" while the video plays.
func describe(st Status) (headline, hint string) {
	switch {
	case st.Err != nil:
		return explain(st.Err)
	case st.Resolving:
		return "Finding the video…", "Asking this computer, peers and gateways for " + short(st.Target) + "."
	case st.Resuming:
		return "Resuming…", ""
	}
	switch st.State {
	case playback.Idle:
		if st.Player.URL == "" && st.Target == (link.Target{}) {
			return emptyHeadline, emptyHint
		}
	case playback.Loading:
		return "Loading…", ""
	}
	return "", ""
}

// explain turns an error into what the viewer can understand and do.
func explain(err error) (headline, hint string) {
	switch {
	case errors.Is(err, errResolveTimeout):
		return "Nobody is sharing this video right now",
			"No peer or gateway sent it in time. Try again later, or check that a computer that has it is online."
	case errors.Is(err, link.ErrNotLink):
		return "That is not an IPFS link", "Paste a CID, an ipfs:// or ipns:// link, or a gateway link."
	case errors.Is(err, playback.ErrNotVideo):
		return "This is not a video", "The file behind this link is not a video IPFS-Tube can play."
	case errors.Is(err, playback.ErrNoVideoStream):
		return "This file has no picture", "It holds sound only; IPFS-Tube plays videos."
	case errors.Is(err, playback.ErrTimeout):
		return "The video stopped arriving", "No data came for a while. Peers may have gone offline; try again later."
	case errors.Is(err, playback.ErrLoadFailed):
		return "The video could not be loaded", lastPart(err)
	case errors.Is(err, context.Canceled):
		return "Stopped", ""
	}
	return "The video could not be opened", lastPart(err)
}

// lastPart keeps the end of a wrapped error, the part that says what went
// wrong, without the operation prefixes.
func lastPart(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && i+2 < len(msg) {
		msg = msg[i+2:]
	}
	if msg == "" {
		return ""
	}
	return strings.ToUpper(msg[:1]) + msg[1:] + "."
}

// short is a link as a viewer can read it in a sentence.
func short(t link.Target) string {
	if name := fallbackTitle(t); name != "" {
		return name
	}
	return "it"
}
