package publish

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
)

// Node is what publishing needs from the embedded node. The package
// declares it rather than importing the node (the library never does);
// internal/nodelib adapts *node.Node to it.
type Node interface {
	// Import stores r (size bytes, or -1 when unknown) as a pinned file
	// in the unixfs-v1-2025 profile, calling progress as it goes; a
	// failed or cancelled import pins nothing.
	Import(ctx context.Context, r io.Reader, size int64, progress func(done, total int64)) (file cid.Cid, n int64, err error)
	// PublishVideo pins a directory of the file (under name), the poster
	// (JPEG, nil for none) and a metadata file.
	PublishVideo(ctx context.Context, file cid.Cid, name string, poster []byte, meta Metadata) (cid.Cid, error)
	// ResolveVideo reads a published directory back.
	ResolveVideo(ctx context.Context, dir cid.Cid) (Published, error)
	// ReadAll reads a whole file of at most max bytes.
	ReadAll(ctx context.Context, c cid.Cid, max int64) ([]byte, error)
	// Pins lists the roots pinned recursively.
	Pins(ctx context.Context) ([]cid.Cid, error)
	Unpin(ctx context.Context, c cid.Cid) error
}

// Metadata is what a video directory's metadata file says about the
// video; the node fills in the format's own fields (version, names, CIDs).
type Metadata struct {
	Title, Description string
	DurationS          float64
	Width, Height      int
	MIME               string
}

// Published is a video directory read back from the node.
type Published struct {
	File     cid.Cid // the video file the directory plays
	Name     string  // the file's entry name in the directory
	Poster   cid.Cid // cid.Undef without a poster
	Metadata *Metadata
}

// Prober reads a local file as a video; internal/probelib adapts libmpv
// (playback.Probe) to it.
type Prober interface {
	// Probe reads duration, resolution and a poster frame. A file that is
	// not a video fails with an error wrapping ErrNotVideo, and also
	// ErrSoundOnly or ErrStillImage when that is why.
	Probe(ctx context.Context, path string) (Probe, error)
}

// Probe is what a Prober learnt of a video file.
type Probe struct {
	Duration      time.Duration
	Width, Height int
	MIME          string
	// PosterJPEG is a frame ~10 % in as JPEG; nil when none was taken
	// (a video without a poster is still worth publishing).
	PosterJPEG []byte
}

// Reserver holds the repo within the storage quota; *library.Keeper is
// one. An upload reserves its bytes (library.ForKeeping) before the first
// block is written.
type Reserver interface {
	Reserve(ctx context.Context, n int64, opts ...library.ReserveOption) (release func(), err error)
}

// Catalog is what an upload needs from the catalog; *library.Catalog has it.
type Catalog interface {
	Get(ctx context.Context, id cid.Cid) (library.Video, error)
	Upsert(ctx context.Context, id cid.Cid, fn func(*library.Video) error) (library.Video, error)
	Update(ctx context.Context, id cid.Cid, fn func(*library.Video) error) (library.Video, error)
}

var (
	_ Catalog  = (*library.Catalog)(nil)
	_ Reserver = (*library.Keeper)(nil)
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
	reserver         Reserver
}

// WithLogger sets the logger; slog.Default() otherwise.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithReserver makes every upload and add reserve its bytes in the
// storage quota before importing (see the package doc); without one
// nothing is reserved.
func WithReserver(r Reserver) Option { return func(o *options) { o.reserver = r } }

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

// Service publishes local files. Its methods are safe for concurrent use;
// the caller decides how many uploads run at once.
type Service struct {
	node  Node
	probe Prober
	cat   Catalog
	opts  options

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

// New returns a Service that imports into n, reads videos with p and
// records uploads in cat.
func New(n Node, p Prober, cat Catalog, opts ...Option) *Service {
	o := options{log: slog.Default(), parallel: DefaultParallel, progressInterval: 100 * time.Millisecond}
	for _, opt := range opts {
		opt(&o)
	}
	o.parallel = max(o.parallel, 1)
	return &Service{
		node: n, probe: p, cat: cat, opts: o, active: map[cid.Cid]int{},
		probes: make(chan struct{}, o.parallel), imports: make(chan struct{}, o.parallel),
	}
}

// Upload publishes the file at path and returns what was published.
// progress (nil for none) is called from Upload's goroutine and should
// return quickly. Cancelling ctx stops the upload at any point and leaves
// nothing behind (see the package doc); the error then wraps ctx.Err().
func (u *Service) Upload(ctx context.Context, path string, progress func(Progress)) (Result, error) {
	if progress == nil {
		progress = func(Progress) {}
	}
	start := time.Now()
	f, size, err := openChecked(path)
	if err != nil {
		return Result{}, err
	}
	defer f.Close()
	name := filepath.Base(path)
	progress(Progress{Phase: PhaseProbing, Total: size})
	info, err := u.probeFile(ctx, path)
	if err != nil {
		return Result{}, probeError(ctx, path, err)
	}
	return u.store(ctx, f, name, size, &info, start, progress)
}

// Add is the command line's add: it imports and pins any file, and when
// the file is a video it also publishes and records it as Upload does.
// The video check never refuses a file: one libmpv does not read as a
// video (or cannot read at all) is only imported and pinned, and the
// Result then has no Dir and nothing enters the catalog. The caller opens
// the file (r, size bytes, -1 when unknown) and names it by path, which
// the probe reads.
func (u *Service) Add(ctx context.Context, path string, r io.Reader, size int64, progress func(Progress)) (Result, error) {
	if progress == nil {
		progress = func(Progress) {}
	}
	start := time.Now()
	name := filepath.Base(path)
	var info *Probe
	if size > 0 {
		progress(Progress{Phase: PhaseProbing, Total: size})
		p, err := u.probeFile(ctx, path)
		switch {
		case ctx.Err() != nil:
			return Result{}, fmt.Errorf("publish.Add %s: %w", name, ctx.Err())
		case err != nil:
			u.opts.log.Info("not a video: importing only", "component", "publish", "path", path, "why", err)
		default:
			info = &p
		}
	}
	return u.store(ctx, r, name, size, info, start, progress)
}

// probeFile runs the prober in one of the probe slots.
func (u *Service) probeFile(ctx context.Context, path string) (Probe, error) {
	if err := acquire(ctx, u.probes, nil); err != nil {
		return Probe{}, err
	}
	defer func() { <-u.probes }()
	return u.probe.Probe(ctx, path)
}

// dirOverhead is what a video directory adds to the file's bytes besides
// its poster: video.json and the directory node, with room to spare.
const dirOverhead = 64 << 10

// store reserves room in the quota, imports r and, when info says it is a
// video, publishes and records it.
func (u *Service) store(ctx context.Context, r io.Reader, name string, size int64, info *Probe, start time.Time, progress func(Progress)) (Result, error) {
	log := u.opts.log.With("component", "publish", "name", name)
	probed := time.Now()
	waiting := func() { progress(Progress{Phase: PhaseWaiting, Total: size}) }
	if err := acquire(ctx, u.imports, waiting); err != nil {
		return Result{}, fmt.Errorf("publish %s: %w", name, err)
	}
	defer func() { <-u.imports }()
	started := time.Now()
	release, err := u.reserve(ctx, size, info)
	if err != nil {
		return Result{}, fmt.Errorf("publish %s: %w", name, err)
	}
	// Released once the bytes are on disk and, for a video, counted in
	// the catalog as an own upload.
	defer release()
	pinnedBefore, err := u.pinSet(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("publish %s: %w", name, err)
	}
	meter := newRateMeter(time.Now())
	var lastReport time.Time
	progress(Progress{Phase: PhaseImporting, Total: size})
	file, n, err := u.node.Import(ctx, r, size, func(done, total int64) {
		now := time.Now()
		meter.add(now, done)
		if done < size && now.Sub(lastReport) < u.opts.progressInterval {
			return
		}
		lastReport = now
		progress(Progress{Phase: PhaseImporting, Done: done, Total: size, Rate: meter.rate()})
	})
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return Result{}, fmt.Errorf("publish %s: %w", name, err)
	}
	imported := time.Now()
	res := Result{File: file, Name: entryName(name), Size: n}
	if info == nil {
		progress(Progress{Phase: PhaseDone, Done: n, Total: size})
		log.Info("imported, not published", "file", file, "bytes", n)
		return res, nil
	}
	u.hold(file)
	defer u.release(file)

	// From here on the file is pinned: every failure must undo that.
	res.PosterJPEG, res.Title = info.PosterJPEG, titleFromName(name)
	res.Duration, res.Width, res.Height = info.Duration, info.Width, info.Height
	progress(Progress{Phase: PhasePublishing, Done: n, Total: size})
	meta := Metadata{
		Title: res.Title, DurationS: info.Duration.Seconds(),
		Width: info.Width, Height: info.Height, MIME: info.MIME,
	}
	if err := u.publish(ctx, &res, meta); err != nil {
		u.rollback(ctx, log, pinnedBefore, res.File, res.Dir)
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return Result{}, fmt.Errorf("publish %s: %w", name, err)
	}
	progress(Progress{Phase: PhaseDone, Done: n, Total: size})
	log.Info("uploaded", "file", res.File, "dir", res.Dir, "bytes", res.Size,
		"probe", probed.Sub(start).Round(time.Millisecond),
		"waited", started.Sub(probed).Round(time.Millisecond),
		"import", imported.Sub(started).Round(time.Millisecond),
		"publish", time.Since(imported).Round(time.Millisecond))
	return res, nil
}

// reserve takes room in the quota for the file and, for a video, its
// directory, before the first block is written. A size not known ahead
// (a stream) reserves nothing.
func (u *Service) reserve(ctx context.Context, size int64, info *Probe) (func(), error) {
	if u.opts.reserver == nil || size <= 0 {
		return func() {}, nil
	}
	need := size
	if info != nil {
		need += int64(len(info.PosterJPEG)) + dirOverhead
	}
	return u.opts.reserver.Reserve(ctx, need, library.ForKeeping())
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
func (u *Service) publish(ctx context.Context, res *Result, meta Metadata) error {
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
	if !v.File.Equals(res.File) {
		return fmt.Errorf("directory %s plays %s, not the uploaded %s", dir, v.File, res.File)
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
func (u *Service) pinSet(ctx context.Context) (map[cid.Cid]bool, error) {
	pins, err := u.node.Pins(ctx)
	if err != nil {
		return nil, err
	}
	set := make(map[cid.Cid]bool, len(pins))
	for _, p := range pins {
		set[p] = true
	}
	return set, nil
}

func (u *Service) hold(c cid.Cid) {
	u.mu.Lock()
	u.active[c]++
	u.mu.Unlock()
}

func (u *Service) release(c cid.Cid) {
	u.mu.Lock()
	if u.active[c]--; u.active[c] <= 0 {
		delete(u.active, c)
	}
	u.mu.Unlock()
}

// rollback removes the pins a failed upload added. It runs on a context of
// its own: the upload's may be the reason it failed.
func (u *Service) rollback(ctx context.Context, log *slog.Logger, pinnedBefore map[cid.Cid]bool, file, dir cid.Cid) {
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
func (u *Service) Retitle(ctx context.Context, file cid.Cid, title string) (Result, error) {
	title = strings.TrimSpace(strings.ToValidUTF8(title, "�"))
	switch {
	case title == "":
		return Result{}, fmt.Errorf("publish.Retitle: %w", ErrNoTitle)
	case len(title) > library.MaxTitleBytes:
		return Result{}, fmt.Errorf("publish.Retitle: %w (%d bytes, at most %d)", ErrTitleTooLong, len(title), library.MaxTitleBytes)
	}
	u.retitle.Lock()
	defer u.retitle.Unlock()

	v, err := u.cat.Get(ctx, file)
	if err != nil {
		return Result{}, fmt.Errorf("publish.Retitle %s: %w", file, err)
	}
	if !v.Dir.Defined() {
		return Result{}, fmt.Errorf("publish.Retitle %s: %w", file, ErrNotPublished)
	}
	pub, err := u.node.ResolveVideo(ctx, v.Dir)
	if err != nil {
		return Result{}, fmt.Errorf("publish.Retitle %s: %w", file, err)
	}
	if !pub.File.Equals(file) {
		return Result{}, fmt.Errorf("publish.Retitle %s: its directory %s plays %s", file, v.Dir, pub.File)
	}
	meta := Metadata{
		DurationS: v.Duration.Seconds(), Width: v.Width, Height: v.Height, Description: v.Description,
	}
	if pub.Metadata != nil {
		meta = *pub.Metadata
	}
	meta.Title = title
	var poster []byte
	if pub.Poster.Defined() {
		if poster, err = u.node.ReadAll(ctx, pub.Poster, maxPosterBytes); err != nil {
			return Result{}, fmt.Errorf("publish.Retitle %s: poster: %w", file, err)
		}
	}
	dir, err := u.node.PublishVideo(ctx, file, pub.Name, poster, meta)
	if err != nil {
		return Result{}, fmt.Errorf("publish.Retitle %s: %w", file, err)
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
		return Result{}, fmt.Errorf("publish.Retitle %s: %w", file, err)
	}
	if !dir.Equals(old) {
		// The old directory's poster and video.json go at the next GC; the
		// file stays pinned on its own.
		if err := u.node.Unpin(ctx, old); err != nil {
			u.opts.log.Warn("retitle: unpin the old directory", "dir", old, "err", err)
		}
	}
	u.opts.log.Info("retitled", "component", "publish", "file", file, "dir", dir, "old_dir", old)
	return Result{
		File: file, Dir: dir, Poster: v.Poster, PosterJPEG: poster, Name: pub.Name, Title: v.Title,
		Duration: v.Duration, Width: v.Width, Height: v.Height, Size: v.Size,
	}, nil
}

// maxPosterBytes bounds what Retitle reads back as a poster.
const maxPosterBytes = 16 << 20

// posterFile and metadataFile are the names a video directory gives its
// poster and metadata (the node's PosterFile and MetadataFile; a test
// holds them equal): a video may not take either name.
const (
	posterFile   = "poster.jpg"
	metadataFile = "video.json"
)

// entryName is the video's name in its directory: the file's own name,
// made valid UTF-8 and short enough for any file system.
func entryName(name string) string {
	name = strings.ToValidUTF8(name, "_")
	if strings.EqualFold(name, posterFile) || strings.EqualFold(name, metadataFile) {
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
