package main

import (
	"context"
	"image"
	"sync/atomic"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfs-tube/ipfs-tube/app/internal/frames"
	"github.com/ipfs-tube/ipfs-tube/playback"
)

// runPlayerWindow shows p's frames in a window while run drives playback.
// When run ends well the window closes; when it fails the error shows in
// the window until the viewer closes it. It returns run's error. Keys:
// space pauses, ←/→ seek 5 s, Esc or q closes. It must be called on the
// main goroutine (Fyne's rule).
func runPlayerWindow(ctx context.Context, p *playback.Player, surface *videoSurface, run func(ctx context.Context) error) error {
	a := newFyneApp()
	w := a.NewWindow(windowTitle)
	w.SetContent(surface.img)
	w.Resize(fyne.NewSize(960, 540))
	w.CenterOnScreen()
	w.SetMaster()

	life, cancel := context.WithCancel(ctx)
	defer cancel()
	closed := &surface.closed
	w.SetOnClosed(func() { closed.Store(true); cancel() })
	w.Canvas().SetOnTypedKey(func(e *fyne.KeyEvent) {
		st := p.Status()
		switch e.Name {
		case fyne.KeySpace:
			if st.State == playback.Paused {
				p.Play()
			} else {
				p.Pause()
			}
		case fyne.KeyLeft:
			p.Seek(max(0, st.Position-5))
		case fyne.KeyRight:
			p.Seek(st.Position + 5)
		case fyne.KeyEscape, fyne.KeyQ:
			w.Close()
		}
	})
	var runErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		runErr = run(life)
		if runErr != nil && life.Err() == nil {
			// Say what went wrong where the viewer is looking, and leave
			// closing the window to them.
			text := runErr.Error()
			fyne.Do(func() {
				if closed.Load() {
					return
				}
				msg := widget.NewLabel(text)
				msg.Wrapping = fyne.TextWrapWord
				msg.Alignment = fyne.TextAlignCenter
				msg.Importance = widget.DangerImportance
				w.SetContent(container.NewStack(surface.img,
					container.NewVBox(layout.NewSpacer(), container.NewPadded(msg), layout.NewSpacer())))
			})
			return
		}
		fyne.Do(func() {
			if !closed.Load() {
				w.Close()
			}
		})
	}()
	w.ShowAndRun()
	cancel()
	<-done
	if closed.Load() && life.Err() != nil && ctx.Err() == nil && runErr != nil {
		// The user closed the window: that is how a viewer stops.
		return nil
	}
	return runErr
}

// videoSurface shows the newest frame. Frames come faster than a window
// may want them; only the newest waits to be drawn.
type videoSurface struct {
	img    *canvas.Image
	latest frames.Latest
	closed atomic.Bool // the window is gone: draw nothing
}

func newVideoSurface() *videoSurface {
	img := canvas.NewImageFromImage(image.NewRGBA(image.Rect(0, 0, 16, 9)))
	img.FillMode = canvas.ImageFillContain
	img.ScaleMode = canvas.ImageScaleFastest
	return &videoSurface{img: img}
}

// show copies f (the player reuses its buffer after the callback) and
// queues a draw unless one is already queued, which will take this frame.
func (v *videoSurface) show(f playback.Frame) {
	if v.latest.Offer(f.Image) {
		fyne.Do(v.draw)
	}
}

// draw runs on Fyne's thread: the newest frame goes up and the one it
// replaces becomes the spare buffer.
func (v *videoSurface) draw() {
	if v.closed.Load() {
		return
	}
	frame := v.latest.Take()
	if frame == nil {
		return
	}
	old, _ := v.img.Image.(*image.RGBA)
	v.img.Image = frame
	v.img.Refresh()
	v.latest.Recycle(old)
}
