// Package probelib adapts libmpv's probe (playback.Probe) to the Prober
// the publishing service declares, so the app and the service's tests
// read videos the same way.
//
//	svc := publish.New(nodelib.Publish{N: n}, probelib.Prober{Log: log}, cat)
package probelib

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/ipfs-tube/ipfs-tube/library/publish"
	"github.com/ipfs-tube/ipfs-tube/playback"
)

// posterQuality is the JPEG quality of posters: a few tens of KiB for a
// card-sized frame.
const posterQuality = 85

// Prober reads local files with libmpv.
type Prober struct {
	Log *slog.Logger // nil: slog.Default()
}

var _ publish.Prober = Prober{}

// Probe reads path with libmpv, turning its "not a video" errors into the
// publishing service's.
func (p Prober) Probe(ctx context.Context, path string) (publish.Probe, error) {
	log := p.Log
	if log == nil {
		log = slog.Default()
	}
	info, err := playback.Probe(ctx, path, playback.WithProbeLogger(log))
	switch {
	case err == nil:
	case errors.Is(err, playback.ErrNoVideoStream):
		return publish.Probe{}, fmt.Errorf("%w: %w: %w", publish.ErrNotVideo, publish.ErrSoundOnly, err)
	case errors.Is(err, playback.ErrNotVideo) && strings.Contains(err.Error(), "still image"):
		return publish.Probe{}, fmt.Errorf("%w: %w: %w", publish.ErrNotVideo, publish.ErrStillImage, err)
	case errors.Is(err, playback.ErrNotVideo):
		return publish.Probe{}, fmt.Errorf("%w: %w", publish.ErrNotVideo, err)
	default:
		return publish.Probe{}, err
	}
	out := publish.Probe{Duration: info.Duration, Width: info.Width, Height: info.Height, MIME: info.MIME()}
	if info.Poster != nil {
		if out.PosterJPEG, err = playback.EncodeJPEG(info.Poster, posterQuality); err != nil {
			// A video without a poster is still worth publishing.
			log.Warn("poster not encoded", "path", path, "err", err)
			out.PosterJPEG = nil
		}
	}
	return out, nil
}
