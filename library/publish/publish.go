package upload

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ipfs/go-cid"

	"github.com/ipfs-tube/ipfs-tube/library"
	"github.com/ipfs-tube/ipfs-tube/node"
	"github.com/ipfs-tube/ipfs-tube/playback"
)

// Node is what an upload needs from the embedded node; *node.Node has it.
type Node interface {
	Import(ctx context.Context, r io.Reader, opts ...node.ImportOption) (node.ImportResult, error)
	PublishVideo(ctx context.Context, file cid.Cid, name string, poster []byte, meta node.VideoMetadata) (cid.Cid, error)
	ResolveVideo(ctx context.Context, c cid.Cid) (node.Video, error)
	ReadAll(ctx context.Context, c cid.Cid, max int64) ([]byte, error)
	Pins(ctx context.Context) ([]node.PinInfo, error)
	Unpin(ctx context.Context, c cid.Cid) error
}

// Catalog is what an upload needs from the catalog; *library.Catalog has it.
type Catalog interface {
	Get(ctx context.Context, id cid.Cid) (library.Video, error)
	Upsert(ctx context.Context, id cid.Cid, fn func(*library.Video) error) (library.Video, error)
	Update(ctx context.Context, id cid.Cid, fn func(*library.Video) error) (library.Video, error)
}

var (
	_ Node    = (*node.Node)(nil)
	_ Catalog = (*library.Catalog)(nil)
)

// Phase is the step an upload is in.
type Phase int

const (
	// PhaseProbing: checking the file and reading duration, resolution
	// and a poster frame.
	PhaseProbing Phase = iota
	// PhaseWaiting: the file is fine and waits for other imports to
	// finish (see WithParallel).
	PhaseWaiting
	// PhaseImporting: storing the file's blocks; Progress.Done counts bytes.
	PhaseImporting
	// PhasePublishing: building the video directory and the catalog entry.
	PhasePublishing
	// PhaseDone: published; Upload is about to return its Result.
	PhaseDone
)

var phaseNames = [...]string{"Reading video", "Waiting", "Importing", "Publishing", "Done"}

// String is the phase as the window shows it.
func (p Phase) String() string {
	if p < 0 || int(p) >= len(phaseNames) {
		return "Unknown"
	}
	return phaseNames[p]
}

// Progress is one report of an upload's progress.
type Progress struct {
	Phase Phase
	// Done and Total are bytes imported and the file's size. Total is set
	// in every phase; Done grows while importing and equals Total after.
	Done, Total int64
	// Rate is the import speed in bytes per second over the last few
	// seconds; 0 until known.
	Rate float64
}

// Fraction is Done/Total, between 0 and 1.
func (p Progress) Fraction() float64 {
	if p.Total <= 0 {
		return 0
	}
	return min(1, float64(p.Done)/float64(p.Total))
}

// Result describes a published upload.
type Result struct {
	File   cid.Cid // the video file: its identity
	Dir    cid.Cid // the published directory: what links point at
	Poster cid.Cid // poster.jpg in Dir; cid.Undef when the video gave none
	// PosterJPEG is the poster image itself, so a view can show it
	// without reading it back from the node.
	PosterJPEG []byte
	Name       string // the video's entry name in Dir
	Title      string
	Duration   time.Duration
	Width      int
	Height     int
	Size       int64 // bytes
}

// Option tunes New.
type Option func(*options)

type options struct {
	log              *slog.Logger
	parallel         int
	progressInterval time.Duration
	posterQuality    int
}

// WithLogger sets the logger; slog.Default() otherwise.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// DefaultParallel is how many files are imported at once unless
// WithParallel says otherwise.
const DefaultParallel = 2

// WithParallel sets how many files are imported at once (DefaultParallel);
// more uploads wait in PhaseWaiting after their file was checked, so a bad
// file is reported at once rather than after the imports ahead of it.
// Importing is bound by disk and hashing on every core, so a third at
// once would only slow the other two. Probes are limited to the same
// number, apart: each runs a libmpv core.
func WithParallel(n int) Option { return func(o *options) { o.parallel = n } }

// WithProgressInterval bounds how often importing progress is reported
// (100 ms by default); phase changes and the last byte are always
// reported. The node reports every MiB, which is hundreds of times a
// second on a fast disk: more than any window can draw.
func WithProgressInterval(d time.Duration) Option {
	return func(o *options) { o.progressInterval = d }
}

// Uploader publishes local files. Its methods are safe for concurrent use;
// the caller decides how many uploads run at once.
type Uploader struct {
	node Node
	cat  Catalog
	opts options

	// probes and imports are semaphores: a slot is a buffered value.
	probes, imports chan struct{}

	mu sync.Mutex
	// active counts running uploads per file CID (from the end of the
	// import on), so a failing upload never unpins a file another upload
	// of the same bytes is about to publish.
	active map[cid.Cid]int
	// retitle serialises Retitle: each reads the directory the previous
	// one wrote.
	retitle sync.Mutex
}

// New returns an Uploader that imports into n and records uploads in cat.
func New(n Node, cat Catalog, opts ...Option) *Uploader {
	o := options{log: slog.Default(), parallel: DefaultParallel, progressInterval: 100 * time.Millisecond, posterQuality: 85}
	for _, opt := range opts {
		opt(&o)
	}
	o.parallel = max(o.parallel, 1)
	return &Uploader{
		node: n, cat: cat, opts: o, active: map[cid.Cid]int{},
		probes: make(chan struct{}, o.parallel), imports: make(chan struct{}, o.parallel),
	}
}

// Upload publishes the file at path and returns what was published.
// progress (nil for none) is called from Upload's goroutine and should
// return quickly. Cancelling ctx stops the upload at any point and leaves
// nothing behind (see the package doc); the error then wraps ctx.Err().
func (u *Uploader) Upload(ctx context.Context, path string, progress func(Progress)) (Result, error) {
	if progress == nil {
		progress = func(Progress) {}
	}
	start := time.Now()
	log := u.opts.log.With("component", "upload", "path", path)

	f, size, err := openChecked(path)
	if err != nil {
		return Result{}, err
	}
	defer f.Close()
	name := filepath.Base(path)
	progress(Progress{Phase: PhaseProbing, Total: size})
	if err := acquire(ctx, u.probes, nil); err != nil {
		return Result{}, fmt.Errorf("upload.Upload %s: %w", name, err)
	}
	info, err := playback.Probe(ctx, path, playback.WithProbeLogger(u.opts.log))
	<-u.probes
	if err != nil {
		return Result{}, probeError(ctx, path, err)
	}
	var poster []byte
	if info.Poster != nil {
		if poster, err = playback.EncodeJPEG(info.Poster, u.opts.posterQuality); err != nil {
			// A video without a poster is still worth publishing.
			log.Warn("poster not encoded", "err", err)
			poster = nil
		}
	}
	probed := time.Now()

	waiting := func() { progress(Progress{Phase: PhaseWaiting, Total: size}) }
	if err := acquire(ctx, u.imports, waiting); err != nil {
		return Result{}, fmt.Errorf("upload.Upload %s: %w", name, err)
	}
	defer func() { <-u.imports }()
	started := time.Now()
	pinnedBefore, err := u.pinSet(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("upload.Upload %s: %w", name, err)
	}
	meter := newRateMeter(time.Now())
	var lastReport time.Time
	progress(Progress{Phase: PhaseImporting, Total: size})
	imp, err := u.node.Import(ctx, f, node.ImportSize(size), node.ImportProgress(func(done, total int64) {
		now := time.Now()
		meter.add(now, done)
		if done < size && now.Sub(lastReport) < u.opts.progressInterval {
			return
		}
		lastReport = now
		progress(Progress{Phase: PhaseImporting, Done: done, Total: size, Rate: meter.rate()})
	}))
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return Result{}, fmt.Errorf("upload.Upload %s: %w", name, err)
	}
	imported := time.Now()
	u.hold(imp.Cid)
	defer u.release(imp.Cid)

	// From here on the file is pinned: every failure must undo that.
	res := Result{
		File: imp.Cid, PosterJPEG: poster, Name: entryName(name), Title: titleFromName(name),
		Duration: info.Duration, Width: info.Width, Height: info.Height, Size: imp.Size,
	}
	progress(Progress{Phase: PhasePublishing, Done: imp.Size, Total: size})
	meta := node.VideoMetadata{
		Title: res.Title, DurationS: info.Duration.Seconds(),
		Width: info.Width, Height: info.Height, MIME: info.MIME(),
	}
	if err := u.publish(ctx, &res, meta); err != nil {
		u.rollback(ctx, log, pinnedBefore, res.File, res.Dir)
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return Result{}, fmt.Errorf("upload.Upload %s: %w", name, err)
	}
	progress(Progress{Phase: PhaseDone, Done: imp.Size, Total: size})
	log.Info("uploaded", "file", res.File, "dir", res.Dir, "bytes", res.Size,
		"probe", probed.Sub(start).Round(time.Millisecond),
		"waited", started.Sub(probed).Round(time.Millisecond),
		"import", imported.Sub(started).Round(time.Millisecond),
		"publish", time.Since(imported).Round(time.Millisecond))
	return res, nil
}

// acquire takes a slot of sem, calling waiting (when not nil) first if it
// has to wait for one.
func acquire(ctx context.Context, sem chan struct{}, waiting func()) error {
	select {
	case sem <- struct{}{}:
		return nil
	default:
	}
	if waiting != nil {
		waiting()
	}
	select {
	case sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// publish builds the directory and the catalog entry for an imported file,
// filling res.Dir and res.Poster. The catalog comes last so that it never
// names a directory that failed.
func (u *Uploader) publish(ctx context.Context, res *Result, meta node.VideoMetadata) error {
	dir, err := u.node.PublishVideo(ctx, res.File, res.Name, res.PosterJPEG, meta)
	if err != nil {
		return err
	}
	res.Dir = dir
	// Reading the directory back gives the poster's CID and proves the
	// directory resolves to this file, as a viewer's client will.
	v, err := u.node.ResolveVideo(ctx, dir)
	if err != nil {
		return fmt.Errorf("read back %s: %w", dir, err)
	}
	if !v.Cid.Equals(res.File) {
		return fmt.Errorf("directory %s plays %s, not the uploaded %s", dir, v.Cid, res.File)
	}
	res.Poster = v.Poster
	if err := ctx.Err(); err != nil {
		return err
	}
	// Upsert, not Put: a video watched before being uploaded keeps its
	// watch history and other keep reasons.
	_, err = u.cat.Upsert(ctx, res.File, func(v *library.Video) error {
		v.Dir, v.Poster = res.Dir, res.Poster
		v.Title = res.Title
		v.Duration, v.Width, v.Height = res.Duration, res.Width, res.Height
		v.Size = res.Size
		v.BytesLocal = max(v.BytesLocal, res.Size)
		v.Kept |= library.OwnUpload
		return nil
	})
	return err
}

// pinSet lists the recursive pins, taken before an import so a rollback
// knows which pins the upload added.
func (u *Uploader) pinSet(ctx context.Context) (map[cid.Cid]bool, error) {
	pins, err := u.node.Pins(ctx)
	if err != nil {
		return nil, err
	}
	set := make(map[cid.Cid]bool, len(pins))
	for _, p := range pins {
		set[p.Cid] = true
	}
	return set, nil
}

func (u *Uploader) hold(c cid.Cid) {
	u.mu.Lock()
	u.active[c]++
	u.mu.Unlock()
}

func (u *Uploader) release(c cid.Cid) {
	u.mu.Lock()
	if u.active[c]--; u.active[c] <= 0 {
		delete(u.active, c)
	}
	u.mu.Unlock()
}

// rollback removes the pins a failed upload added. It runs on a context of
// its own: the upload's may be the reason it failed.
func (u *Uploader) rollback(ctx context.Context, log *slog.Logger, pinnedBefore map[cid.Cid]bool, file, dir cid.Cid) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	keep := func(c cid.Cid) bool {
		if pinnedBefore[c] {
			return true
		}
		if c.Equals(file) {
			u.mu.Lock()
			others := u.active[c] > 1
			u.mu.Unlock()
			if others {
				return true
			}
			if v, err := u.cat.Get(ctx, c); err == nil && (v.Kept.Has(library.OwnUpload) || v.Kept.Has(library.Pinned)) {
				return true
			}
		}
		return false
	}
	for _, c := range []cid.Cid{dir, file} {
		if !c.Defined() || keep(c) {
			continue
		}
		if err := u.node.Unpin(ctx, c); err != nil {
			// Unpinning what PublishVideo never pinned fails harmlessly.
			log.Debug("rollback unpin", "cid", c, "err", err)
			continue
		}
		log.Info("upload rolled back", "unpinned", c)
	}
}

// Retitle gives the uploaded video file a new title: it publishes a new
// directory (same file and poster), points the catalog at it and unpins
// the old directory. It returns the video as now published.
func (u *Uploader) Retitle(ctx context.Context, file cid.Cid, title string) (Result, error) {
	title = strings.TrimSpace(strings.ToValidUTF8(title, "�"))
	switch {
	case title == "":
		return Result{}, fmt.Errorf("upload.Retitle: %w", ErrNoTitle)
	case len(title) > library.MaxTitleBytes:
		return Result{}, fmt.Errorf("upload.Retitle: %w (%d bytes, at most %d)", ErrTitleTooLong, len(title), library.MaxTitleBytes)
	}
	u.retitle.Lock()
	defer u.retitle.Unlock()

	v, err := u.cat.Get(ctx, file)
	if err != nil {
		return Result{}, fmt.Errorf("upload.Retitle %s: %w", file, err)
	}
	if !v.Dir.Defined() {
		return Result{}, fmt.Errorf("upload.Retitle %s: %w", file, ErrNotPublished)
	}
	pub, err := u.node.ResolveVideo(ctx, v.Dir)
	if err != nil {
		return Result{}, fmt.Errorf("upload.Retitle %s: %w", file, err)
	}
	if !pub.Cid.Equals(file) {
		return Result{}, fmt.Errorf("upload.Retitle %s: its directory %s plays %s", file, v.Dir, pub.Cid)
	}
	meta := node.VideoMetadata{
		DurationS: v.Duration.Seconds(), Width: v.Width, Height: v.Height, Description: v.Description,
	}
	if pub.Metadata != nil {
		meta = *pub.Metadata
	}
	meta.Title = title
	var poster []byte
	if pub.Poster.Defined() {
		if poster, err = u.node.ReadAll(ctx, pub.Poster, maxPosterBytes); err != nil {
			return Result{}, fmt.Errorf("upload.Retitle %s: poster: %w", file, err)
		}
	}
	dir, err := u.node.PublishVideo(ctx, file, pub.Name, poster, meta)
	if err != nil {
		return Result{}, fmt.Errorf("upload.Retitle %s: %w", file, err)
	}
	old := v.Dir
	v, err = u.cat.Update(ctx, file, func(v *library.Video) error {
		v.Dir, v.Title = dir, title
		return nil
	})
	if err != nil {
		if !dir.Equals(old) {
			if uerr := u.node.Unpin(context.WithoutCancel(ctx), dir); uerr != nil {
				u.opts.log.Warn("retitle: unpin the unused directory", "dir", dir, "err", uerr)
			}
		}
		return Result{}, fmt.Errorf("upload.Retitle %s: %w", file, err)
	}
	if !dir.Equals(old) {
		// The old directory's poster and video.json go at the next GC; the
		// file stays pinned on its own.
		if err := u.node.Unpin(ctx, old); err != nil {
			u.opts.log.Warn("retitle: unpin the old directory", "dir", old, "err", err)
		}
	}
	u.opts.log.Info("retitled", "component", "upload", "file", file, "dir", dir, "old_dir", old)
	return Result{
		File: file, Dir: dir, Poster: v.Poster, PosterJPEG: poster, Name: pub.Name, Title: v.Title,
		Duration: v.Duration, Width: v.Width, Height: v.Height, Size: v.Size,
	}, nil
}

// maxPosterBytes bounds what Retitle reads back as a poster.
const maxPosterBytes = 16 << 20

// entryName is the video's name in its directory: the file's own name,
// made valid UTF-8 and short enough for any file system.
func entryName(name string) string {
	name = strings.ToValidUTF8(name, "_")
	if strings.EqualFold(name, node.PosterFile) || strings.EqualFold(name, node.MetadataFile) {
		name = "video-" + name
	}
	const maxName = 255
	if len(name) <= maxName {
		return name
	}
	ext := filepath.Ext(name)
	if len(ext) > 16 {
		ext = ""
	}
	stem := name[:maxName-len(ext)]
	for !utf8.ValidString(stem) {
		stem = stem[:len(stem)-1]
	}
	return stem + ext
}

// titleFromName makes a title from a file name: no extension, and
// "my_holiday_2024" or "Big.Buck.Bunny" spelled with spaces.
func titleFromName(name string) string {
	name = strings.ToValidUTF8(name, "")
	stem := strings.TrimSuffix(name, filepath.Ext(name))
	if !strings.Contains(stem, " ") {
		// Dots stand for spaces only in names without spaces: "v1.2 demo"
		// keeps its version number.
		stem = strings.ReplaceAll(stem, ".", " ")
	}
	stem = strings.ReplaceAll(stem, "_", " ")
	title := strings.Join(strings.Fields(stem), " ")
	if title == "" {
		title = strings.TrimSpace(name)
	}
	for len(title) > library.MaxTitleBytes {
		_, size := utf8.DecodeLastRuneInString(title)
		title = title[:len(title)-size]
	}
	return title
}
