package playback

import "context"

// Starting is a player being created in the background (see Start).
type Starting struct {
	done chan struct{}
	p    *Player
	err  error
}

// Start creates a player as New does, in the background, so that libmpv's
// start-up (its core and render context: tens of milliseconds) overlaps
// the caller's own work, such as finding the video to play. Every Start
// must be followed by Wait or Discard.
func Start(ctx context.Context, opts ...Option) *Starting {
	s := &Starting{done: make(chan struct{})}
	go func() {
		defer close(s.done)
		s.p, s.err = New(ctx, opts...)
	}()
	return s
}

// Wait returns the player, or New's error, once it is created.
func (s *Starting) Wait() (*Player, error) {
	<-s.done
	return s.p, s.err
}

// Discard closes the player once it exists, for a caller that no longer
// needs it (the video could not be found, say).
func (s *Starting) Discard() {
	if p, err := s.Wait(); err == nil {
		p.Close()
	}
}
