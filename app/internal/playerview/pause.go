package playerview

import "github.com/ipfs-tube/ipfs-tube/playback"

// Pause pauses the video if it plays; the shell calls it when the viewer
// leaves the player for another view, so the video waits for them there.
// UI thread.
func (v *View) Pause() {
	if s := v.current(); s != nil {
		s.send(func(p *playback.Player) error {
			switch p.Status().State {
			case playback.Playing, playback.Buffering, playback.Loading:
				return p.Pause()
			}
			return nil
		})
	}
}
