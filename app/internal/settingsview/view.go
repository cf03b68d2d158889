package settingsview

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfs-tube/ipfs-tube/app/internal/settings"
	"github.com/ipfs-tube/ipfs-tube/app/internal/ui"
)

// Store persists the settings; *settings.Store satisfies it.
type Store interface {
	Load() (settings.Settings, error)
	Update(change func(*settings.Settings) error) (settings.Settings, error)
}

var _ Store = (*settings.Store)(nil)

// GatewayRank is how the gateway fallback rates one gateway right now.
type GatewayRank struct {
	URL         string
	Score       float64       // higher is better; the fallback's own scale
	Latency     time.Duration // typical time to first byte
	SuccessRate float64       // 0…1 of recent requests
	State       string        // e.g. "ok", "slow", "backing off"
}

// GatewayRanking is what the gateway fallback reports, best first.
type GatewayRanking interface {
	GatewayRanking() []GatewayRank
}

// rankingInterval is how often the ranking section is refreshed.
const rankingInterval = 5 * time.Second

// Option tunes New.
type Option func(*options)

type options struct {
	ranking     GatewayRanking
	autostart   func(enable bool) error
	defaultRepo string
	log         *slog.Logger
	do          func(func())
}

// WithGatewayRanking shows the fallback's measured ranking; without it the
// section is hidden.
func WithGatewayRanking(r GatewayRanking) Option { return func(o *options) { o.ranking = r } }

// WithAutostart replaces how "Start at login" is applied to the OS; the
// default is settings.SetStartAtLogin with this executable.
func WithAutostart(fn func(enable bool) error) Option {
	return func(o *options) { o.autostart = fn }
}

// WithDefaultRepo is the repo used when none is chosen, shown as the repo
// field's placeholder.
func WithDefaultRepo(dir string) Option { return func(o *options) { o.defaultRepo = dir } }

// WithLogger sets the logger; the default is slog.Default().
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// View is the Settings page.
type View struct {
	store     Store
	win       fyne.Window
	ranking   GatewayRanking
	autostart func(bool) error
	log       *slog.Logger
	do        func(func()) // runs UI work on the UI thread: fyne.Do

	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once

	// UI-thread state.
	saved    settings.Settings // as last loaded or saved
	gateways []string          // the list being edited
	saving   bool

	repoEntry, tcpEntry, quicEntry, gwEntry *widget.Entry
	repoMsg, portMsg, gwMsg, status         *widget.Label
	gwRows                                  *fyne.Container
	private, startAtLogin, keepSeeding      *widget.Check
	themeRadio                              *widget.RadioGroup
	saveBtn, revertBtn                      *widget.Button
	rankRows                                *fyne.Container
	rankSection                             fyne.CanvasObject
	content                                 fyne.CanvasObject
}

// New builds the page on the UI thread from the saved settings (a small
// local file read once here). win parents the folder picker.
func New(ctx context.Context, store Store, win fyne.Window, opts ...Option) *View {
	o := options{log: slog.Default(), do: fyne.Do, autostart: func(on bool) error { return settings.SetStartAtLogin(on, "") }}
	for _, opt := range opts {
		opt(&o)
	}
	v := &View{store: store, win: win, ranking: o.ranking, autostart: o.autostart, log: o.log, do: o.do}
	v.ctx, v.cancel = context.WithCancel(ctx)
	v.build(o.defaultRepo)
	v.revert()
	if v.ranking != nil {
		v.wg.Add(1)
		go v.rankingLoop()
	}
	return v
}

// Content is the page's root object.
func (v *View) Content() fyne.CanvasObject { return v.content }

// Close stops the ranking refresh and waits for a save in flight. It is safe
// to call more than once.
func (v *View) Close() {
	v.closeOnce.Do(func() {
		v.cancel()
		v.wg.Wait()
	})
}

func (v *View) build(defaultRepo string) {
	// Storage location.
	v.repoEntry = widget.NewEntry()
	v.repoEntry.SetPlaceHolder(placeholderRepo(defaultRepo))
	choose := widget.NewButtonWithIcon("Choose…", theme.FolderOpenIcon(), v.chooseRepo)
	v.repoMsg = ui.ErrorLabel()
	repo := ui.Section(theme.StorageIcon(), "Storage", container.NewVBox(
		fieldLabel("Repo location"),
		container.NewBorder(nil, nil, nil, choose, v.repoEntry),
		hint("Where videos and blocks are kept. Leave empty for the default. Takes effect after restart."),
		v.repoMsg,
	))

	// Network.
	v.tcpEntry, v.quicEntry = widget.NewEntry(), widget.NewEntry()
	v.tcpEntry.SetPlaceHolder("as the repo has")
	v.quicEntry.SetPlaceHolder("as the repo has")
	v.portMsg = ui.ErrorLabel()
	v.private = widget.NewCheck("Private mode", nil)
	network := ui.Section(theme.ComputerIcon(), "Network", container.NewVBox(
		container.NewGridWithColumns(2,
			container.NewVBox(fieldLabel("TCP port"), v.tcpEntry),
			container.NewVBox(fieldLabel("QUIC (UDP) port"), v.quicEntry)),
		hint("1024–65535; empty keeps the port picked when the repo was made. Takes effect after restart."),
		v.portMsg,
		v.private,
		hint("Announce nothing, seed no one else's videos and never ask HTTP gateways (they would see what you watch); serve only what you share yourself. Takes effect after restart."),
	))

	// Gateways.
	v.gwRows = container.NewVBox()
	v.gwEntry = widget.NewEntry()
	v.gwEntry.SetPlaceHolder("https://gateway.example")
	v.gwEntry.OnSubmitted = func(string) { v.addGateway() }
	v.gwEntry.OnChanged = func(string) { v.gwMsg.Hide() }
	add := widget.NewButtonWithIcon("Add", theme.ContentAddIcon(), func() { v.addGateway() })
	defaults := widget.NewButtonWithIcon("Restore defaults", theme.ViewRefreshIcon(), func() {
		v.gateways = settings.DefaultGateways()
		v.gwMsg.Hide()
		v.showGateways()
		v.changed()
	})
	defaults.Importance = widget.LowImportance
	v.gwMsg = ui.ErrorLabel()
	gateways := ui.Section(theme.GridIcon(), "Gateways", container.NewVBox(
		hint("Tried in this order when peers are slow or missing. Every block is checked against its hash."),
		v.gwRows,
		container.NewBorder(nil, nil, nil, add, v.gwEntry),
		v.gwMsg,
		container.NewHBox(defaults),
	))

	// Ranking, when the fallback reports one.
	v.rankRows = container.NewVBox()
	v.rankSection = ui.Section(theme.InfoIcon(), "Gateway ranking (measured)", v.rankRows)
	if v.ranking == nil {
		v.rankSection.Hide()
	}

	// App.
	v.startAtLogin = widget.NewCheck("Start IPFS-Tube when I log in", nil)
	v.keepSeeding = widget.NewCheck("Keep seeding in the background when the window is closed", nil)
	v.themeRadio = widget.NewRadioGroup([]string{"System", "Light", "Dark"}, v.themePicked)
	v.themeRadio.Horizontal = true
	v.themeRadio.Required = true
	app := ui.Section(theme.SettingsIcon(), "App", container.NewVBox(
		v.startAtLogin,
		v.keepSeeding,
		container.NewHBox(fieldLabel("Theme"), v.themeRadio),
	))

	for _, c := range []*widget.Check{v.private, v.startAtLogin, v.keepSeeding} {
		c.OnChanged = func(bool) { v.changed() }
	}
	for _, e := range []*widget.Entry{v.repoEntry, v.tcpEntry, v.quicEntry} {
		e.OnChanged = func(string) { v.changed() }
	}

	v.saveBtn = widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), v.save)
	v.saveBtn.Importance = widget.HighImportance
	v.revertBtn = widget.NewButtonWithIcon("Revert", theme.ContentUndoIcon(), v.revert)
	v.status = widget.NewLabel("")
	v.status.Wrapping = fyne.TextWrapWord
	bar := container.NewBorder(nil, nil, nil, container.NewHBox(v.revertBtn, v.saveBtn), v.status)

	left := container.NewVBox(repo, network, app)
	right := container.NewVBox(gateways, v.rankSection)
	form := container.NewGridWithColumns(2, left, right)
	v.content = container.NewBorder(nil, container.NewPadded(bar), nil, nil,
		container.NewVScroll(container.NewPadded(form)))
}

func placeholderRepo(def string) string {
	if def == "" {
		return "default location"
	}
	return def + " (default)"
}

// hint is secondary text that wraps, so long explanations never widen the
// form past the window.
func hint(s string) *widget.RichText {
	t := ui.DimText(s)
	t.Wrapping = fyne.TextWrapWord
	return t
}

func fieldLabel(s string) *widget.Label {
	return widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

func (v *View) chooseRepo() {
	if v.win == nil {
		return
	}
	d := dialog.NewFolderOpen(func(u fyne.ListableURI, err error) {
		if err != nil {
			ui.ShowError(v.repoMsg, err)
			return
		}
		if u != nil {
			v.repoEntry.SetText(u.Path())
		}
	}, v.win)
	d.Show()
}

// showGateways rebuilds the gateway rows: URL, then up, down, remove.
func (v *View) showGateways() {
	v.gwRows.RemoveAll()
	if len(v.gateways) == 0 {
		v.gwRows.Add(hint("No gateways: videos come from peers only."))
	}
	for i, g := range v.gateways {
		up := widget.NewButtonWithIcon("", theme.MoveUpIcon(), func() { v.moveGateway(i, -1) })
		down := widget.NewButtonWithIcon("", theme.MoveDownIcon(), func() { v.moveGateway(i, 1) })
		rm := widget.NewButtonWithIcon("", theme.DeleteIcon(), func() { v.removeGateway(i) })
		for _, b := range []*widget.Button{up, down, rm} {
			b.Importance = widget.LowImportance
		}
		if i == 0 {
			up.Disable()
		}
		if i == len(v.gateways)-1 {
			down.Disable()
		}
		n := widget.NewLabel(fmt.Sprintf("%d.", i+1))
		n.Importance = widget.LowImportance
		url := widget.NewLabel(g)
		url.Truncation = fyne.TextTruncateEllipsis
		v.gwRows.Add(container.NewBorder(nil, nil, n, container.NewHBox(up, down, rm), url))
	}
	v.gwRows.Refresh()
}

func (v *View) moveGateway(i, by int) {
	j := i + by
	if i < 0 || j < 0 || i >= len(v.gateways) || j >= len(v.gateways) {
		return
	}
	v.gateways[i], v.gateways[j] = v.gateways[j], v.gateways[i]
	v.showGateways()
	v.changed()
}

func (v *View) removeGateway(i int) {
	if i < 0 || i >= len(v.gateways) {
		return
	}
	v.gateways = slices.Delete(v.gateways, i, i+1)
	v.showGateways()
	v.changed()
}

// addGateway adds what the entry holds; false (and a message) when it is
// not a usable gateway URL.
func (v *View) addGateway() bool {
	raw := strings.TrimSpace(v.gwEntry.Text)
	if raw == "" {
		return true
	}
	g, err := settings.NormalizeGateway(raw)
	if err == nil && slices.Contains(v.gateways, g) {
		err = fmt.Errorf("gateway %s: already in the list", g)
	}
	if err != nil {
		ui.ShowError(v.gwMsg, err)
		return false
	}
	v.gateways = append(v.gateways, g)
	v.gwEntry.SetText("")
	ui.ShowError(v.gwMsg, nil)
	v.showGateways()
	v.changed()
	return true
}

// themePicked applies the theme at once and saves it on its own.
func (v *View) themePicked(label string) {
	t := themeFor(label)
	if t == v.saved.Theme {
		return
	}
	ApplyTheme(fyne.CurrentApp(), t)
	v.saved.Theme = t
	v.wg.Add(1)
	go func() {
		defer v.wg.Done()
		_, err := v.store.Update(func(s *settings.Settings) error { s.Theme = t; return nil })
		if err != nil {
			v.log.Warn("settings: saving the theme failed", "theme", t, "err", err)
			v.do(func() { v.setStatus("The theme applies now but could not be saved: "+err.Error(), true) })
		}
	}()
}

func themeFor(label string) settings.Theme {
	switch label {
	case "Light":
		return settings.ThemeLight
	case "Dark":
		return settings.ThemeDark
	}
	return settings.ThemeSystem
}

func themeLabel(t settings.Theme) string {
	switch t {
	case settings.ThemeLight:
		return "Light"
	case settings.ThemeDark:
		return "Dark"
	}
	return "System"
}

// revert shows the saved settings again.
func (v *View) revert() {
	s, err := v.store.Load()
	v.saved = s
	v.repoEntry.SetText(s.RepoDir)
	v.tcpEntry.SetText(portText(s.Ports.TCP))
	v.quicEntry.SetText(portText(s.Ports.QUIC))
	v.gateways = slices.Clone(s.Gateways)
	v.gwEntry.SetText("")
	v.private.SetChecked(s.PrivateMode)
	v.startAtLogin.SetChecked(s.StartAtLogin)
	v.keepSeeding.SetChecked(s.KeepSeedingOnClose)
	v.themeRadio.SetSelected(themeLabel(s.Theme))
	for _, l := range []*widget.Label{v.repoMsg, v.portMsg, v.gwMsg} {
		ui.ShowError(l, nil)
	}
	v.showGateways()
	if err != nil {
		v.log.Warn("settings: saved settings unreadable, showing defaults", "err", err)
		v.setStatus("Saved settings could not be read ("+err.Error()+"); showing defaults. Saving replaces them.", true)
	} else {
		v.setStatus("", false)
	}
	v.changed()
}

func portText(p int) string {
	if p == 0 {
		return ""
	}
	return strconv.Itoa(p)
}

// form reads the fields into a copy of the saved settings, with a message
// per invalid field; ok is false when any field is invalid.
func (v *View) form() (s settings.Settings, ok bool) {
	s = v.saved.Clone()
	ok = true
	s.RepoDir = strings.TrimSpace(v.repoEntry.Text)
	var repoErr error
	if s.RepoDir != "" {
		if !filepath.IsAbs(s.RepoDir) {
			repoErr = errors.New("repo location: use a full path, like /home/you/Videos/ipfs-tube")
		} else {
			s.RepoDir = filepath.Clean(s.RepoDir)
		}
	}
	ui.ShowError(v.repoMsg, repoErr)
	ok = ok && repoErr == nil

	var portErrs []error
	for _, p := range []struct {
		name string
		e    *widget.Entry
		dst  *int
	}{{"TCP port", v.tcpEntry, &s.Ports.TCP}, {"QUIC port", v.quicEntry, &s.Ports.QUIC}} {
		t := strings.TrimSpace(p.e.Text)
		n := 0
		var err error
		if t != "" {
			if n, err = strconv.Atoi(t); err != nil {
				err = fmt.Errorf("%q is not a number", t)
			}
		}
		if err == nil {
			err = settings.ValidatePort(n)
		}
		if err != nil {
			portErrs = append(portErrs, fmt.Errorf("%s: %w", p.name, err))
			continue
		}
		*p.dst = n
	}
	ui.ShowError(v.portMsg, errors.Join(portErrs...))
	ok = ok && len(portErrs) == 0

	// Text left in the add field counts as meant to be added.
	ok = v.addGateway() && ok
	s.Gateways = slices.Clone(v.gateways)
	s.PrivateMode = v.private.Checked
	s.StartAtLogin = v.startAtLogin.Checked
	s.KeepSeedingOnClose = v.keepSeeding.Checked
	return s, ok
}

// changed enables Save and Revert when the form differs from what is saved.
func (v *View) changed() {
	if v.saveBtn == nil {
		return
	}
	dirty := v.dirty()
	if dirty && !v.saving {
		v.saveBtn.Enable()
		v.revertBtn.Enable()
	} else {
		v.saveBtn.Disable()
		v.revertBtn.Disable()
	}
	if dirty && v.status.Text == "Saved." {
		v.setStatus("", false)
	}
}

func (v *View) dirty() bool {
	s := v.saved
	return strings.TrimSpace(v.repoEntry.Text) != s.RepoDir ||
		strings.TrimSpace(v.tcpEntry.Text) != portText(s.Ports.TCP) ||
		strings.TrimSpace(v.quicEntry.Text) != portText(s.Ports.QUIC) ||
		!slices.Equal(v.gateways, s.Gateways) ||
		strings.TrimSpace(v.gwEntry.Text) != "" ||
		v.private.Checked != s.PrivateMode ||
		v.startAtLogin.Checked != s.StartAtLogin ||
		v.keepSeeding.Checked != s.KeepSeedingOnClose
}

func (v *View) setStatus(msg string, isErr bool) {
	v.status.Importance = widget.MediumImportance
	if isErr {
		v.status.Importance = widget.DangerImportance
	}
	v.status.SetText(msg)
}

// save checks the form and, when every field is valid, writes this page's
// fields off the UI thread and applies start at login.
func (v *View) save() {
	s, ok := v.form()
	if !ok {
		v.setStatus("Nothing was saved: fix the fields marked in red.", true)
		return
	}
	if err := s.Validate(); err != nil { // what the form cannot see, for completeness
		v.setStatus("Nothing was saved: "+err.Error(), true)
		return
	}
	loginChanged := s.StartAtLogin != v.saved.StartAtLogin
	v.saving = true
	v.changed()
	v.setStatus("Saving…", false)
	v.wg.Add(1)
	go func() {
		defer v.wg.Done()
		saved, err := v.store.Update(func(cur *settings.Settings) error {
			cur.RepoDir, cur.Ports, cur.Gateways = s.RepoDir, s.Ports, s.Gateways
			cur.PrivateMode, cur.StartAtLogin, cur.KeepSeedingOnClose = s.PrivateMode, s.StartAtLogin, s.KeepSeedingOnClose
			return nil
		})
		var loginErr error
		if err == nil && loginChanged {
			loginErr = v.autostart(s.StartAtLogin)
		}
		v.do(func() {
			v.saving = false
			switch {
			case err != nil:
				v.log.Warn("settings: save failed", "err", err)
				v.setStatus("Could not save: "+err.Error(), true)
			case loginErr != nil:
				v.saved = saved
				v.log.Warn("settings: start at login failed", "err", loginErr)
				v.setStatus("Saved, but start at login could not be changed: "+loginErr.Error(), true)
			default:
				v.saved = saved
				v.setStatus("Saved.", false)
			}
			v.changed()
		})
	}()
}

func (v *View) rankingLoop() {
	defer v.wg.Done()
	t := time.NewTicker(rankingInterval)
	defer t.Stop()
	for {
		ranks := v.ranking.GatewayRanking()
		v.do(func() {
			if v.ctx.Err() == nil {
				v.showRanking(ranks)
			}
		})
		select {
		case <-v.ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (v *View) showRanking(ranks []GatewayRank) {
	v.rankRows.RemoveAll()
	if len(ranks) == 0 {
		v.rankRows.Add(hint("No measurements yet: gateways are measured when a video needs them."))
	}
	for i, r := range ranks {
		url := widget.NewLabel(fmt.Sprintf("%d. %s", i+1, r.URL))
		url.Truncation = fyne.TextTruncateEllipsis
		state := widget.NewLabel(r.State)
		state.Importance = stateImportance(r.State)
		figures := widget.NewLabel(fmt.Sprintf("%s · %.0f %% ok · score %.2f",
			latencyText(r.Latency), r.SuccessRate*100, r.Score))
		figures.Importance = widget.LowImportance
		v.rankRows.Add(container.NewBorder(nil, nil, nil, container.NewHBox(figures, state), url))
	}
	v.rankRows.Refresh()
}

func latencyText(d time.Duration) string {
	if d <= 0 {
		return "– ms"
	}
	return fmt.Sprintf("%d ms", d.Milliseconds())
}

func stateImportance(s string) widget.Importance {
	switch strings.ToLower(s) {
	case "ok", "good", "healthy":
		return widget.SuccessImportance
	case "slow", "degraded":
		return widget.WarningImportance
	case "down", "failing", "backing off", "off":
		return widget.DangerImportance
	}
	return widget.MediumImportance
}

// withUI replaces fyne.Do, for tests: they pass a uitest.Loop's Post (see
// package uitest for why fyne.Do cannot serve there).
func withUI(post func(func())) Option { return func(o *options) { o.do = post } }
