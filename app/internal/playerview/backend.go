package playerview

import (
	"cmp"
	"context"
	"log/slog"
	"time"

	"github.com/ipfs/go-cid"

	"github.com/ipfs-tube/ipfs-tube/app/internal/link"
	"github.com/ipfs-tube/ipfs-tube/library"
	"github.com/ipfs-tube/ipfs-tube/node"
	"github.com/ipfs-tube/ipfs-tube/playback"
)

// Source is what the view needs from the app's backend (the node and its
// loopback gateway). Every method may be slow or fail: the view calls them
// off the UI thread, with a deadline, and shows what went wrong.
type Source interface {
	// Resolve finds the video a link names and returns what the player
	// opens. It should honour ctx: the view gives up after the resolve
	// timeout (WithResolveTimeout).
	Resolve(ctx context.Context, t link.Target) (Stream, error)
	// LocalRanges lists which bytes of the file are on this machine, for
	// the seek bar; nil when none or unknown.
	LocalRanges(ctx context.Context, file cid.Cid) ([]node.ByteRange, error)
	// Stats returns counters that only grow over the backend's life, and
	// the number of connected peers, for the stats line.
	Stats(ctx context.Context) (Stats, error)
}

// Stream is a resolved video.
type Stream struct {
	// URL is what the player opens: the node's loopback gateway URL.
	URL string
	// File is the video file's CID, its identity in the catalog.
	File cid.Cid
	// Title is shown above the controls; "" falls back to the catalog's
	// title or the link.
	Title string
	// Size is the file's size in bytes; 0 when unknown (no local ranges
	// are shown then).
	Size int64
}

// Stats is a reading of the backend's fetch counters. Bytes are totals
// since the backend started; the view turns their growth into a speed.
type Stats struct {
	BytesLocal        int64 // read from this machine's blockstore
	BytesFromPeers    int64 // fetched over bitswap
	BytesFromGateways int64 // fetched from public HTTP gateways
	Peers             int   // connected peers now
}

// Catalog is the part of the library the view uses: *library.Catalog
// satisfies it. The view creates the entry on first open (so the library
// lists watched videos), resumes at LastPosition and records progress.
type Catalog interface {
	Upsert(ctx context.Context, id cid.Cid, fn func(*library.Video) error) (library.Video, error)
	RecordWatch(ctx context.Context, id cid.Cid, position time.Duration, at time.Time) (library.Video, error)
}

var _ Catalog = (*library.Catalog)(nil)

// Window is the part of fyne.Window the view uses for fullscreen.
type Window interface {
	FullScreen() bool
	SetFullScreen(bool)
}

// Defaults for the options.
const (
	// DefaultResolveTimeout bounds finding a video's first blocks, so a
	// link nobody serves ends in a message rather than a spinner forever.
	DefaultResolveTimeout = 30 * time.Second
	// DefaultRecordEvery is how often the playing position is saved to the
	// catalog (it is also saved on stop, on close and at the end).
	DefaultRecordEvery = 5 * time.Second
	// DefaultVolume is the starting volume in percent.
	DefaultVolume = 100
	// pollEvery paces the stats line, the local ranges and the catalog.
	pollEvery = time.Second
	// volumeStep is one ↑/↓ press, in percent.
	volumeStep = 5
	// seekStep is one ←/→ press.
	seekStep = 5 * time.Second
)

type config struct {
	catalog        Catalog
	window         Window
	audio          bool
	volume         float64
	log            *slog.Logger
	resolveTimeout time.Duration
	recordEvery    time.Duration
	playerOpts     []playback.Option
}

// Option configures a View.
type Option func(*config)

// WithCatalog turns on resume and watch history.
func WithCatalog(c Catalog) Option { return func(cfg *config) { cfg.catalog = c } }

// WithWindow lets the view switch the window to fullscreen (f, the button,
// a double click on the picture) and back (f, Esc).
func WithWindow(w Window) Option { return func(cfg *config) { cfg.window = w } }

// WithAudio turns sound on (the default) or off; tests and CI machines
// have no sound card.
func WithAudio(on bool) Option { return func(cfg *config) { cfg.audio = on } }

// WithVolume sets the starting volume in percent (0–100), for a shell
// that remembers the viewer's choice.
func WithVolume(percent float64) Option {
	return func(cfg *config) { cfg.volume = min(100, max(0, percent)) }
}

// WithLogger sets the logger; slog.Default() otherwise (also for nil).
func WithLogger(l *slog.Logger) Option {
	return func(cfg *config) { cfg.log = cmp.Or(l, slog.Default()) }
}

// WithResolveTimeout bounds Source.Resolve (DefaultResolveTimeout, also
// for d <= 0).
func WithResolveTimeout(d time.Duration) Option {
	return func(cfg *config) { cfg.resolveTimeout = positiveOr(d, DefaultResolveTimeout) }
}

// WithRecordEvery sets how often the position is saved while playing
// (DefaultRecordEvery, also for d <= 0).
func WithRecordEvery(d time.Duration) Option {
	return func(cfg *config) { cfg.recordEvery = positiveOr(d, DefaultRecordEvery) }
}

func positiveOr(d, fallback time.Duration) time.Duration {
	if d <= 0 {
		return fallback
	}
	return d
}

// WithPlayerOptions passes options to every playback.Player the view
// creates (cache size, network timeout); the view sets audio, logger,
// status and frame functions itself.
func WithPlayerOptions(opts ...playback.Option) Option {
	return func(cfg *config) { cfg.playerOpts = append(cfg.playerOpts, opts...) }
}
