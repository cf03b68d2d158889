package seedview

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfs-tube/ipfs-tube/app/internal/settings"
	"github.com/ipfs-tube/ipfs-tube/app/internal/ui"
	"github.com/ipfs-tube/ipfs-tube/library"
)

// DefaultPollInterval is how often the dashboard asks the Source for new
// numbers: often enough that the rate reads live, rare enough to cost
// nothing.
const DefaultPollInterval = 2 * time.Second

// sourceTimeout bounds one poll of a slow Source, so a stuck engine shows
// as stale numbers and a message instead of a pile of waiting goroutines.
const sourceTimeout = 10 * time.Second

// Option tunes New.
type Option func(*options)

type options struct {
	source  Source
	engine  Engine
	diskDir string
	poll    time.Duration
	history *RateHistory
	log     *slog.Logger
	do      func(func())
	now     func() time.Time
}

// WithSource shows the engine's numbers; without it the dashboard edits the
// limits only.
func WithSource(s Source) Option { return func(o *options) { o.source = s } }

// WithEngine hands every change of the limits to the running engine.
func WithEngine(e Engine) Option { return func(o *options) { o.engine = e } }

// WithDiskDir names a directory on the disk that holds the repo; its free
// space caps the quota slider.
func WithDiskDir(dir string) Option { return func(o *options) { o.diskDir = dir } }

// WithPollInterval changes DefaultPollInterval.
func WithPollInterval(d time.Duration) Option { return func(o *options) { o.poll = d } }

// WithHistory uses a history the caller keeps (say, from the app's start,
// so the chart is full when the dashboard opens); the default is a new
// one of HistorySpan in HistoryStep.
func WithHistory(h *RateHistory) Option { return func(o *options) { o.history = h } }

// WithLogger sets the logger; the default is slog.Default().
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// watcher is the optional part of a Store that reports changes made
// elsewhere (the tray's pause item, another view); *settings.Store has it.
type watcher interface {
	Watch(fn func(settings.Settings)) (cancel func())
}

// View is the seeding dashboard.
type View struct {
	store   Store
	src     Source
	eng     Engine
	diskDir string
	poll    time.Duration
	history *RateHistory
	log     *slog.Logger
	do      func(func()) // runs UI work on the UI thread: fyne.Do
	now     func() time.Time

	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
	unwatch   func()

	// Changes wait here for the worker, latest value per kind, so a burst
	// of slider moves becomes one write and one engine call.
	latest     atomic.Pointer[snapshot]
	showQueued atomic.Bool

	pendMu sync.Mutex
	pend   pendingChange
	wake   chan struct{}

	// UI-thread state.
	quota, upCap    int64
	downCap         int64
	paused, private bool
	autoSeed        bool
	hours           string // settings.Settings.SeedHours
	used, free      int64  // -1 while unknown
	entries         []Entry
	movingSlider    bool // set while the code, not the user, moves the slider

	usedText, usedDetail     *widget.Label
	bar                      *widget.ProgressBar
	slider                   *widget.Slider
	sliderMax                *widget.Label
	quotaEntry, capEntry     *widget.Entry
	quotaMsg, capMsg, capTip *widget.Label
	downEntry, hoursEntry    *widget.Entry
	downMsg, downTip         *widget.Label
	hoursMsg, hoursTip       *widget.Label
	rateText, rateDetail     *widget.Label
	pauseBtn                 *widget.Button
	autoSeedCheck            *widget.Check
	pauseState               *widget.Label
	notice, status           *widget.Label
	chart                    *RateChart
	list                     *widget.List
	empty                    fyne.CanvasObject
	content                  fyne.CanvasObject
}

type pendingChange struct {
	quota, upCap, downCap *int64
	paused, autoSeed      *bool
	hours                 *string
}

// New builds the dashboard on the UI thread and starts polling the Source.
// It reads the saved limits from store once, synchronously (a small local
// file); a damaged file shows a message and the defaults.
func New(ctx context.Context, store Store, opts ...Option) *View {
	o := options{poll: DefaultPollInterval, log: slog.Default(), do: fyne.Do, now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	if o.history == nil {
		o.history = NewRateHistory(HistorySpan, HistoryStep)
	}
	v := &View{
		store: store, src: o.source, eng: o.engine, diskDir: o.diskDir,
		poll: o.poll, history: o.history, log: o.log, do: o.do, now: o.now,
		wake: make(chan struct{}, 1),
		used: -1, free: -1,
	}
	v.ctx, v.cancel = context.WithCancel(ctx)

	s, err := store.Load()
	v.quota, v.upCap, v.paused, v.private, v.autoSeed = s.Quota, s.UploadCap, s.SeedingPaused, s.PrivateMode, s.AutoSeed
	v.downCap, v.hours = s.DownloadCap, s.SeedHours
	v.build()
	if err != nil {
		v.log.Warn("seeding dashboard: settings unreadable, showing defaults", "err", err)
		v.showStatus(fmt.Sprintf("Saved settings could not be read (%v); showing defaults.", err))
	}
	if w, ok := store.(watcher); ok {
		v.unwatch = w.Watch(func(s settings.Settings) {
			v.do(func() { v.followSettings(s) })
		})
	}

	v.wg.Add(2)
	go v.pollLoop()
	go v.applyLoop()
	return v
}

// Content is the dashboard's root object.
func (v *View) Content() fyne.CanvasObject { return v.content }

// Close stops polling and waits for changes in flight to be saved. It is
// safe to call more than once.
func (v *View) Close() {
	v.closeOnce.Do(func() {
		if v.unwatch != nil {
			v.unwatch()
		}
		v.cancel()
		v.wg.Wait()
	})
}

// History is the upload-rate history the chart shows.
func (v *View) History() *RateHistory { return v.history }

func (v *View) build() {
	// Storage.
	v.usedText, v.usedDetail = figureLabel(), quietLabel("")
	v.bar = widget.NewProgressBar()
	v.slider = widget.NewSlider(0, float64(len(quotaSteps)-1))
	v.slider.Step = 1
	v.slider.OnChanged = v.sliderMoved
	v.slider.OnChangeEnded = func(f float64) {
		// The slider also reports an end after the code moved it (a typed
		// quota between two steps); only a move to another step is a choice.
		if i := int(f + 0.5); !v.movingSlider && i != stepIndex(v.quota) {
			v.commitQuota(quotaSteps[i])
		}
	}
	minLabel := quietLabel(ui.Bytes(quotaSteps[0]))
	v.sliderMax = quietLabel("")
	v.quotaEntry = widget.NewEntry()
	v.quotaEntry.SetPlaceHolder("e.g. 50 GiB")
	v.quotaEntry.OnSubmitted = func(s string) {
		q, err := ParseQuota(s)
		if err != nil {
			ui.ShowError(v.quotaMsg, err)
			return
		}
		v.commitQuota(q)
	}
	v.quotaMsg = ui.ErrorLabel()
	v.autoSeedCheck = widget.NewCheck("Auto-seed popular videos the network needs, within the quota", func(on bool) {
		if on == v.autoSeed {
			return
		}
		v.autoSeed = on
		v.queue(func(pc *pendingChange) { pc.autoSeed = &on })
	})
	v.autoSeedCheck.SetChecked(v.autoSeed)
	storage := ui.Section(theme.StorageIcon(), "Storage for seeding", container.NewVBox(
		v.usedText,
		v.usedDetail,
		v.bar,
		container.NewBorder(nil, nil, minLabel, v.sliderMax, v.slider),
		labeledRow("Quota", v.quotaEntry, ui.DimText("press Enter to apply")),
		v.quotaMsg,
		v.autoSeedCheck,
	))

	// Bandwidth and hours.
	v.rateText, v.rateDetail = figureLabel(), quietLabel("")
	v.capEntry, v.capTip, v.capMsg = v.limitEntry("unlimited", rateSubmit(ParseUploadCap, v.commitUploadCap))
	v.downEntry, v.downTip, v.downMsg = v.limitEntry("unlimited", rateSubmit(ParseDownloadCap, v.commitDownloadCap))
	v.hoursEntry, v.hoursTip, v.hoursMsg = v.limitEntry("always", func(s string) error {
		h, err := library.ParseSeedHours(s)
		if err == nil {
			v.commitHours(h)
		}
		return err
	})
	v.hoursTip.SetText("or e.g. 23:00-07:00 (local time)")
	v.pauseBtn = widget.NewButton("", v.togglePause)
	v.pauseState = quietLabel("")
	v.pauseState.Wrapping = fyne.TextWrapWord
	limits := container.New(layout.NewFormLayout(),
		widget.NewLabel("Upload limit"), limitCell(v.capEntry, v.capTip, v.capMsg),
		widget.NewLabel("Download limit"), limitCell(v.downEntry, v.downTip, v.downMsg),
		widget.NewLabel("Seeding hours"), limitCell(v.hoursEntry, v.hoursTip, v.hoursMsg),
	)
	upload := ui.Section(theme.UploadIcon(), "Bandwidth and hours", container.NewVBox(
		v.rateText,
		v.rateDetail,
		limits,
		container.NewBorder(nil, nil, v.pauseBtn, nil, v.pauseState),
	))

	// Chart.
	v.chart = NewRateChart(v.history.Len(), "-60 min")
	chartBox := container.New(&minHeight{h: 120}, v.chart)
	chart := ui.Section(theme.HistoryIcon(), "Upload rate, last hour", chartBox)

	// Seeded videos.
	v.list = widget.NewList(
		func() int { return len(v.entries) },
		newRow,
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id < len(v.entries) {
				fillRow(o, v.entries[id])
			}
		})
	v.list.HideSeparators = false
	emptyTitle := widget.NewLabelWithStyle("Nothing is seeded yet", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	emptyHint := widget.NewLabelWithStyle("Videos you upload or pin, and popular videos the network needs,\nappear here with how much each one has served to others.",
		fyne.TextAlignCenter, fyne.TextStyle{})
	emptyHint.Importance = widget.LowImportance
	v.empty = container.NewCenter(container.NewVBox(
		container.NewCenter(widget.NewIcon(theme.NewDisabledResource(theme.MediaVideoIcon()))), emptyTitle, emptyHint))
	listBody := container.NewBorder(listHeader(), nil, nil, nil, container.NewStack(v.list, v.empty))
	seeded := ui.SectionFill(theme.ListIcon(), "Seeded videos", listBody)

	v.notice = quietLabel("")
	v.notice.Wrapping = fyne.TextWrapWord
	v.status = ui.ErrorLabel()
	switch {
	case v.src == nil && v.eng == nil:
		v.notice.SetText("The seeding engine is not running yet. Your limits are saved now and apply as soon as it starts.")
	case v.src == nil:
		v.notice.SetText("Usage figures are not available yet; your limits still apply.")
	default:
		v.notice.Hide()
	}

	top := container.NewVBox(v.notice, v.status,
		container.NewGridWithColumns(2, storage, upload), chart)
	v.content = container.NewPadded(container.NewBorder(top, nil, nil, nil, seeded))

	v.setQuotaControls()
	v.setCapControls()
	v.setPauseControls()
	v.refreshUsage()
	v.refreshUpload(0, 0)
	v.refreshList()
}

// figureLabel shows a headline figure (space used, upload rate).
func figureLabel() *widget.Label {
	l := widget.NewLabel("")
	l.SizeName = theme.SizeNameSubHeadingText
	l.TextStyle.Bold = true
	return l
}

// quietLabel is secondary text: a figure's detail, a hint, a scale's end.
func quietLabel(s string) *widget.Label {
	l := widget.NewLabel(s)
	l.Importance = widget.LowImportance
	return l
}

// labeledRow is "Label  [entry]  hint" with the entry wide enough for
// "1.5 TiB" or "unlimited".
func labeledRow(label string, entry *widget.Entry, hint fyne.CanvasObject) fyne.CanvasObject {
	l := widget.NewLabel(label)
	return container.NewHBox(l, entryBox(entry), hint)
}

func entryBox(entry *widget.Entry) fyne.CanvasObject {
	return container.NewGridWrap(fyne.NewSize(150, entry.MinSize().Height), entry)
}

// limitEntry is an entry that applies on Enter through submit, which
// commits a good value and returns why a bad one is refused (shown in
// msg, the value kept as it was), with a tip beside it.
func (v *View) limitEntry(placeholder string, submit func(string) error) (entry *widget.Entry, tip, msg *widget.Label) {
	entry, tip, msg = widget.NewEntry(), quietLabel(""), ui.ErrorLabel()
	entry.SetPlaceHolder(placeholder)
	entry.OnSubmitted = func(s string) {
		if err := submit(s); err != nil {
			ui.ShowError(msg, err)
			return
		}
		msg.Hide()
	}
	return entry, tip, msg
}

// rateSubmit reads a typed rate with parse and commits it when valid.
func rateSubmit(parse func(string) (int64, error), commit func(int64)) func(string) error {
	return func(s string) error {
		c, err := parse(s)
		if err == nil {
			err = settings.ValidateUploadCap(c)
		}
		if err == nil {
			commit(c)
		}
		return err
	}
}

// limitCell is a limit's entry with its tip, and the message under them.
func limitCell(entry *widget.Entry, tip, msg *widget.Label) fyne.CanvasObject {
	return container.NewVBox(container.NewHBox(entryBox(entry), tip), msg)
}

// minHeight gives its one child the full size, and at least h of height.
type minHeight struct{ h float32 }

func (m *minHeight) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

func (m *minHeight) MinSize(objs []fyne.CanvasObject) fyne.Size {
	s := fyne.NewSize(0, m.h)
	for _, o := range objs {
		s = s.Max(o.MinSize())
	}
	return s
}

// Column widths of the seeded list, shared by its header and rows.
const (
	reasonWidth = 120
	sizeWidth   = 90
	servedWidth = 100
)

func listHeader() fyne.CanvasObject {
	col := func(s string, w float32, align fyne.TextAlign) fyne.CanvasObject {
		l := widget.NewLabelWithStyle(s, align, fyne.TextStyle{Bold: true})
		l.Importance = widget.LowImportance
		return container.NewGridWrap(fyne.NewSize(w, l.MinSize().Height), l)
	}
	video := widget.NewLabelWithStyle("Video", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	video.Importance = widget.LowImportance
	return container.NewBorder(nil, nil, nil,
		container.NewHBox(col("Why", reasonWidth, fyne.TextAlignLeading),
			col("Size", sizeWidth, fyne.TextAlignTrailing),
			col("Served", servedWidth, fyne.TextAlignTrailing)),
		video)
}

// row indexes: Border(center VBox(title, cid), right HBox(reason, size, served), left icon).
func newRow() fyne.CanvasObject {
	title := widget.NewLabel("")
	title.TextStyle.Bold = true
	title.Truncation = fyne.TextTruncateEllipsis
	id := widget.NewLabel("")
	id.Importance = widget.LowImportance
	id.Truncation = fyne.TextTruncateEllipsis
	id.SizeName = theme.SizeNameCaptionText
	reason := widget.NewLabel("")
	size := widget.NewLabelWithStyle("", fyne.TextAlignTrailing, fyne.TextStyle{Monospace: false})
	served := widget.NewLabelWithStyle("", fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
	h := title.MinSize().Height
	cells := container.NewHBox(
		container.NewGridWrap(fyne.NewSize(reasonWidth, h), reason),
		container.NewGridWrap(fyne.NewSize(sizeWidth, h), size),
		container.NewGridWrap(fyne.NewSize(servedWidth, h), served))
	text := container.New(layout.NewCustomPaddedVBoxLayout(-2*theme.Padding()), title, id)
	icon := widget.NewIcon(theme.MediaVideoIcon())
	return container.NewBorder(nil, nil, icon, container.NewCenter(cells), text)
}

func fillRow(o fyne.CanvasObject, e Entry) {
	b := o.(*fyne.Container)
	text := b.Objects[0].(*fyne.Container)
	cells := b.Objects[2].(*fyne.Container).Objects[0].(*fyne.Container)
	title, id := text.Objects[0].(*widget.Label), text.Objects[1].(*widget.Label)
	cid := e.Video.String()
	if !e.Video.Defined() {
		cid = "(no CID)"
	}
	name := strings.TrimSpace(e.Title)
	if name == "" {
		name = shortCID(cid)
	}
	title.SetText(name)
	id.SetText(cid)
	reason := cells.Objects[0].(*fyne.Container).Objects[0].(*widget.Label)
	reason.Importance = reasonImportance(e.Reason)
	reason.SetText(e.Reason)
	cells.Objects[1].(*fyne.Container).Objects[0].(*widget.Label).SetText(ui.Bytes(e.Size))
	cells.Objects[2].(*fyne.Container).Objects[0].(*widget.Label).SetText(ui.Bytes(e.BytesServed))
}

func reasonImportance(r string) widget.Importance {
	switch r {
	case ReasonUpload:
		return widget.HighImportance
	case ReasonPinned:
		return widget.SuccessImportance
	case ReasonPopular:
		return widget.WarningImportance
	}
	return widget.MediumImportance
}

func shortCID(s string) string {
	if len(s) <= 20 {
		return s
	}
	return s[:10] + "…" + s[len(s)-6:]
}

// sliderMoved previews a quota while the user drags; it is saved when the
// drag ends (OnChangeEnded), not at every step.
func (v *View) sliderMoved(f float64) {
	if v.movingSlider {
		return
	}
	q := quotaSteps[int(f+0.5)]
	v.quotaEntry.SetText(ui.Bytes(q))
	v.quotaMsg.Hide()
	old := v.quota
	v.quota = q
	v.refreshUsage()
	v.quota = old
}

func (v *View) commitQuota(q int64) {
	if err := settings.ValidateQuota(q); err != nil {
		ui.ShowError(v.quotaMsg, fmt.Errorf("quota: %w", err))
		return
	}
	v.quota = q
	v.quotaMsg.Hide()
	v.setQuotaControls()
	v.refreshUsage()
	v.queue(func(p *pendingChange) { p.quota = &q })
}

func (v *View) commitUploadCap(c int64) {
	v.upCap = c
	v.setCapControls()
	v.queue(func(p *pendingChange) { p.upCap = &c })
}

func (v *View) commitDownloadCap(c int64) {
	v.downCap = c
	v.setCapControls()
	v.queue(func(p *pendingChange) { p.downCap = &c })
}

// commitHours saves the seeding hours as "" (always) or "HH:MM-HH:MM".
func (v *View) commitHours(h library.SeedHours) {
	hours := ""
	if !h.Always() {
		hours = h.String()
	}
	v.hours = hours
	v.setCapControls()
	v.setPauseControls()
	v.queue(func(p *pendingChange) { p.hours = &hours })
}

func (v *View) togglePause() {
	v.paused = !v.paused
	v.setPauseControls()
	p := v.paused
	v.queue(func(pc *pendingChange) { pc.paused = &p })
}

// followSettings takes limits changed elsewhere (UI thread).
func (v *View) followSettings(s settings.Settings) {
	if v.ctx.Err() != nil {
		return
	}
	pauseChanged := s.PrivateMode != v.private || s.SeedingPaused != v.paused
	if s.AutoSeed != v.autoSeed {
		v.autoSeed = s.AutoSeed
		v.autoSeedCheck.SetChecked(s.AutoSeed)
	}
	pauseChanged = pauseChanged || s.SeedHours != v.hours
	quotaChanged := s.Quota != v.quota
	capChanged := s.UploadCap != v.upCap || s.DownloadCap != v.downCap || s.SeedHours != v.hours
	v.private, v.paused, v.quota, v.upCap = s.PrivateMode, s.SeedingPaused, s.Quota, s.UploadCap
	v.downCap, v.hours = s.DownloadCap, s.SeedHours
	if pauseChanged {
		v.setPauseControls()
	}
	if quotaChanged {
		v.setQuotaControls()
		v.refreshUsage()
	}
	if capChanged {
		v.setCapControls()
	}
}

func (v *View) setQuotaControls() {
	v.quotaEntry.SetText(ui.Bytes(v.quota))
	v.movingSlider = true
	v.slider.Max = float64(v.sliderMaxIndex())
	v.slider.SetValue(float64(stepIndex(v.quota)))
	v.movingSlider = false
	v.sliderMax.SetText(ui.Bytes(quotaSteps[int(v.slider.Max)]))
}

// sliderMaxIndex stops the slider at the free disk space (plus what
// seeding already holds) or 2 TiB, but never below the current quota.
func (v *View) sliderMaxIndex() int {
	limit := settings.MaxQuota
	if v.free >= 0 {
		limit = min(limit, v.free+max(v.used, 0))
	}
	return max(stepIndex(limit), stepIndex(v.quota), 1)
}

// setCapControls shows the limits and the hours as saved.
func (v *View) setCapControls() {
	v.capEntry.SetText(FormatUploadCap(v.upCap))
	if v.upCap == 0 {
		v.capTip.SetText("no limit · e.g. 5 MiB/s or 40 Mbit/s")
	} else {
		v.capTip.SetText("≈ " + mbit(float64(v.upCap)))
	}
	v.downEntry.SetText(FormatUploadCap(v.downCap))
	if v.downCap == 0 {
		v.downTip.SetText("auto-seeding only; e.g. 20 Mbit/s")
	} else {
		v.downTip.SetText("≈ " + mbit(float64(v.downCap)) + ", auto-seeding only")
	}
	v.hoursEntry.SetText(v.seedHours().String())
}

// seedHours are the saved hours; unreadable ones (a hand-edited file)
// read as always, as the app applies them.
func (v *View) seedHours() library.SeedHours {
	h, _ := library.ParseSeedHours(v.hours)
	return h
}

func (v *View) setPauseControls() {
	if v.paused {
		v.pauseBtn.SetText("Resume seeding")
		v.pauseBtn.SetIcon(theme.MediaPlayIcon())
		v.pauseBtn.Importance = widget.HighImportance
	} else {
		v.pauseBtn.SetText("Pause seeding")
		v.pauseBtn.SetIcon(theme.MediaPauseIcon())
		v.pauseBtn.Importance = widget.MediumImportance
	}
	now := v.now()
	// Outside the hours is a state the user may not expect, unlike a
	// pause they chose (whose button stands out already).
	v.pauseState.Importance = widget.LowImportance
	if !v.paused && !v.seedHours().Open(now) {
		v.pauseState.Importance = widget.WarningImportance
	}
	v.pauseState.SetText(pauseText(v.paused, v.private, v.seedHours(), now))
	v.pauseBtn.Refresh()
}

// pauseText says whether seeding runs now and, with seeding hours, until
// when.
func pauseText(paused, private bool, hours library.SeedHours, now time.Time) string {
	switch {
	case paused:
		return "Paused: nothing is uploaded to peers."
	case !hours.Open(now):
		return fmt.Sprintf("Outside your seeding hours: nothing is uploaded or auto-seeded until %s.",
			hours.NextChange(now).Format("15:04"))
	case private:
		return "Private mode: only what you share is served."
	case !hours.Always():
		return fmt.Sprintf("Seeding within your limits until %s.", hours.NextChange(now).Format("15:04"))
	}
	return "Seeding within your limits."
}

// refreshUsage writes used/quota in words and on the bar.
func (v *View) refreshUsage() {
	v.bar.Max = float64(v.quota)
	if v.used < 0 {
		v.usedText.SetText(ui.Bytes(v.quota) + " quota")
		v.usedDetail.SetText(v.freeText("usage shows once seeding runs"))
		v.bar.TextFormatter = func() string { return "" }
		v.bar.SetValue(0)
		return
	}
	v.usedText.SetText(fmt.Sprintf("%s of %s", ui.Bytes(v.used), ui.Bytes(v.quota)))
	pct := 0
	if v.quota > 0 {
		pct = int(v.used * 100 / v.quota)
	}
	detail := fmt.Sprintf("%d %% used", pct)
	if v.used > v.quota {
		detail = fmt.Sprintf("%s over the quota: the least needed videos will be removed", ui.Bytes(v.used-v.quota))
	}
	v.usedDetail.SetText(v.freeText(detail))
	v.bar.TextFormatter = func() string { return fmt.Sprintf("%d %%", min(pct, 100)) }
	v.bar.SetValue(float64(min(v.used, v.quota)))
}

func (v *View) freeText(s string) string {
	if v.free < 0 {
		return s
	}
	return s + " · " + ui.Bytes(v.free) + " free on disk"
}

func (v *View) refreshUpload(current float64, total int64) {
	switch {
	case v.src == nil:
		v.rateText.SetText("—")
		v.rateDetail.SetText("upload figures show once seeding runs")
	default:
		v.rateText.SetText(ui.Rate(current))
		v.rateDetail.SetText(fmt.Sprintf("uploading now · %s served since start", ui.Bytes(total)))
	}
}

func (v *View) refreshList() {
	if len(v.entries) == 0 {
		v.empty.Show()
	} else {
		v.empty.Hide()
	}
	v.list.Refresh()
}

func (v *View) showStatus(msg string) {
	if msg == "" {
		v.status.SetText("")
		v.status.Hide()
		return
	}
	v.status.SetText(msg)
	v.status.Show()
}

// snapshot is one poll's findings, handed to the UI thread.
type snapshot struct {
	used, free       int64
	entries          []Entry
	rates            []float64
	current          float64
	total            int64
	usedErr, seedErr error
}

func (v *View) pollLoop() {
	defer v.wg.Done()
	t := time.NewTicker(v.poll)
	defer t.Stop()
	for {
		snap := v.pollOnce()
		// Only the newest figures matter: when the UI thread is behind, the
		// queued update shows this snapshot instead of a second one piling up.
		v.latest.Store(&snap)
		if v.showQueued.CompareAndSwap(false, true) {
			v.do(func() {
				v.showQueued.Store(false)
				v.show(*v.latest.Load())
			})
		}
		select {
		case <-v.ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (v *View) pollOnce() snapshot {
	snap := snapshot{used: -1, free: -1}
	if v.diskDir != "" {
		if f, err := freeDisk(existingDir(v.diskDir)); err == nil {
			snap.free = f
		}
	}
	if v.src != nil {
		ctx, cancel := context.WithTimeout(v.ctx, sourceTimeout)
		snap.used, snap.usedErr = v.src.Used(ctx)
		if snap.usedErr != nil {
			snap.used = -1
		}
		snap.entries, snap.seedErr = v.src.Seeded(ctx)
		cancel()
		v.history.Add(time.Now(), v.src.BytesUploaded())
	}
	snap.rates, snap.current, snap.total = v.history.Rates(), v.history.Current(), v.history.Total()
	slices.SortStableFunc(snap.entries, func(a, b Entry) int {
		switch {
		case a.BytesServed != b.BytesServed:
			if a.BytesServed > b.BytesServed {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Title, b.Title)
	})
	return snap
}

// existingDir is dir or its nearest existing parent: the repo may not be
// created yet, but the disk it will live on is what matters.
func existingDir(dir string) string {
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil || d == filepath.Dir(d) {
			return d
		}
	}
}

func (v *View) show(s snapshot) {
	if v.ctx.Err() != nil {
		return
	}
	v.free = s.free
	if s.usedErr == nil {
		v.used = s.used
	}
	if s.seedErr == nil && v.src != nil && !slices.Equal(s.entries, v.entries) {
		v.entries = s.entries
		v.refreshList()
	}
	switch err := errors.Join(s.usedErr, s.seedErr); {
	case err != nil:
		v.log.Warn("seeding dashboard: source failed", "err", err)
		v.showStatus("Could not read the seeding figures: " + err.Error())
	case v.status.Text != "" && strings.HasPrefix(v.status.Text, "Could not read"):
		v.showStatus("")
	}
	if !v.movingSlider {
		max := float64(v.sliderMaxIndex())
		if max != v.slider.Max {
			v.setQuotaControls()
		}
	}
	v.refreshUsage()
	v.refreshUpload(s.current, s.total)
	v.chart.SetRates(s.rates)
	if !v.seedHours().Always() {
		v.setPauseControls() // the window opens and closes as time passes
	}
}

// queue records a change for the worker and wakes it.
func (v *View) queue(set func(*pendingChange)) {
	v.pendMu.Lock()
	set(&v.pend)
	v.pendMu.Unlock()
	select {
	case v.wake <- struct{}{}:
	default:
	}
}

// applyLoop saves queued changes and hands them to the engine, in order,
// off the UI thread. It drains what is queued before exiting on Close.
func (v *View) applyLoop() {
	defer v.wg.Done()
	for {
		select {
		case <-v.wake:
			v.applyPending()
		case <-v.ctx.Done():
			v.applyPending()
			return
		}
	}
}

func (v *View) applyPending() {
	v.pendMu.Lock()
	p := v.pend
	v.pend = pendingChange{}
	v.pendMu.Unlock()
	if p == (pendingChange{}) {
		return
	}

	var errs []error
	_, err := v.store.Update(func(s *settings.Settings) error {
		if p.quota != nil {
			s.Quota = *p.quota
		}
		if p.upCap != nil {
			s.UploadCap = *p.upCap
		}
		if p.paused != nil {
			s.SeedingPaused = *p.paused
		}
		if p.autoSeed != nil {
			s.AutoSeed = *p.autoSeed
		}
		if p.downCap != nil {
			s.DownloadCap = *p.downCap
		}
		if p.hours != nil {
			s.SeedHours = *p.hours
		}
		return nil
	})
	if err != nil {
		errs = append(errs, fmt.Errorf("saving: %w", err))
	}
	if v.eng != nil {
		// The engine gets the change even if saving failed: what the user
		// sees should be what runs, and the message says it will not last.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(v.ctx), sourceTimeout)
		for _, c := range []struct {
			name    string
			changed bool
			set     func() error // reads the change only when changed
		}{
			{"SetQuota", p.quota != nil, func() error { return v.eng.SetQuota(ctx, *p.quota) }},
			{"SetUploadCap", p.upCap != nil, func() error { return v.eng.SetUploadCap(ctx, *p.upCap) }},
			{"SetPaused", p.paused != nil, func() error { return v.eng.SetPaused(ctx, *p.paused) }},
			{"SetDownloadCap", p.downCap != nil, func() error { return v.eng.SetDownloadCap(ctx, *p.downCap) }},
			{"SetSeedHours", p.hours != nil, func() error { return v.eng.SetSeedHours(ctx, *p.hours) }},
		} {
			if !c.changed {
				continue
			}
			if err := c.set(); err != nil {
				errs = append(errs, fmt.Errorf("seedview.%s: %w", c.name, err))
			}
		}
		cancel()
	}
	err = errors.Join(errs...)
	if err != nil {
		v.log.Warn("seeding dashboard: applying a change failed", "err", err)
	}
	if v.ctx.Err() != nil {
		return
	}
	v.do(func() {
		if err != nil {
			v.showStatus("Your change could not be applied: " + err.Error())
		} else if strings.HasPrefix(v.status.Text, "Your change") {
			v.showStatus("")
		}
	})
}

// withUI replaces fyne.Do, for tests: they pass a uitest.Loop's Post (see
// package uitest for why fyne.Do cannot serve there).
func withUI(post func(func())) Option { return func(o *options) { o.do = post } }

// withClock replaces time.Now for the seeding hours' state, for tests.
func withClock(now func() time.Time) Option { return func(o *options) { o.now = now } }
