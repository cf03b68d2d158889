package seedview

import (
	"context"
	"errors"
	"image/color"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"

	"github.com/ipfs-tube/ipfs-tube/app/internal/settings"
	"github.com/ipfs-tube/ipfs-tube/app/internal/ui"
	"github.com/ipfs-tube/ipfs-tube/app/internal/ui/uitest"
)

// testSource stands in for the seeding engine, which does not exist yet.
type testSource struct {
	used     atomic.Int64
	uploaded atomic.Int64
	fail     atomic.Bool
	mu       sync.Mutex
	entries  []Entry
}

func (s *testSource) Used(context.Context) (int64, error) {
	if s.fail.Load() {
		return 0, errors.New("disk unreadable")
	}
	return s.used.Load(), nil
}

func (s *testSource) Seeded(context.Context) ([]Entry, error) {
	if s.fail.Load() {
		return nil, errors.New("catalog closed")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.entries), nil
}

// BytesUploaded grows by 1 MiB per reading, so the rate is never zero.
func (s *testSource) BytesUploaded() int64 { return s.uploaded.Add(1 << 20) }

// testEngine records what the dashboard handed it, per setter.
type testEngine struct {
	mu    sync.Mutex
	calls map[string][]any
}

func (e *testEngine) record(setter string, v any) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.calls == nil {
		e.calls = map[string][]any{}
	}
	e.calls[setter] = append(e.calls[setter], v)
	return nil
}

func (e *testEngine) SetQuota(_ context.Context, b int64) error     { return e.record("quota", b) }
func (e *testEngine) SetUploadCap(_ context.Context, b int64) error { return e.record("cap", b) }
func (e *testEngine) SetPaused(_ context.Context, p bool) error     { return e.record("pause", p) }
func (e *testEngine) SetDownloadCap(_ context.Context, b int64) error {
	return e.record("downCap", b)
}
func (e *testEngine) SetSeedHours(_ context.Context, h string) error { return e.record("hours", h) }

// lastOf is the last value handed to a setter (the zero value of T if
// none) and how many calls all setters got.
func lastOf[T any](e *testEngine, setter string) (last T, calls int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if vs := e.calls[setter]; len(vs) > 0 {
		last = vs[len(vs)-1].(T)
	}
	for _, vs := range e.calls {
		calls += len(vs)
	}
	return last, calls
}

func (e *testEngine) last() (q, c int64, p bool, n int) {
	q, n = lastOf[int64](e, "quota")
	c, _ = lastOf[int64](e, "cap")
	p, _ = lastOf[bool](e, "pause")
	return q, c, p, n
}

// lastSchedule is the last download cap and hours handed over, and how
// many calls all setters got.
func (e *testEngine) lastSchedule() (downCap int64, hours string, n int) {
	downCap, n = lastOf[int64](e, "downCap")
	hours, _ = lastOf[string](e, "hours")
	return downCap, hours, n
}

func testCID(s string) cid.Cid {
	h, _ := multihash.Sum([]byte(s), multihash.SHA2_256, -1)
	return cid.NewCidV1(cid.DagProtobuf, h)
}

func newDashboard(t *testing.T, opts ...Option) (*View, *settings.Store, *uitest.Loop) {
	t.Helper()
	test.NewTempApp(t)
	st := settings.NewStore(t.TempDir())
	loop := uitest.NewLoop()
	v := New(context.Background(), st, append([]Option{WithPollInterval(20 * time.Millisecond), withUI(loop.Post)}, opts...)...)
	t.Cleanup(v.Close)
	w := test.NewTempWindow(t, v.Content())
	w.Resize(fyne.NewSize(1100, 800))
	return v, st, loop
}

// labelTexts lists the text of every label under o, in tree order.
func labelTexts(o fyne.CanvasObject) []string {
	var out []string
	switch x := o.(type) {
	case *widget.Label:
		out = append(out, x.Text)
	case *fyne.Container:
		for _, c := range x.Objects {
			out = append(out, labelTexts(c)...)
		}
	}
	return out
}

func TestDashboardShowsSourceNumbers(t *testing.T) {
	src := &testSource{}
	src.used.Store(12_300 << 20)
	src.entries = []Entry{
		{Video: testCID("a"), Title: "Pinned lecture", Reason: ReasonPinned, Size: 1200 << 20, BytesServed: 420 << 20},
		{Video: testCID("b"), Title: "", Reason: ReasonPopular, Size: 2 << 30, BytesServed: 9 << 30},
		{Video: testCID("c"), Title: "My upload", Reason: ReasonUpload, Size: 690 << 20, BytesServed: 3 << 30},
	}
	st := settings.NewStore(t.TempDir())
	if _, err := st.Update(func(s *settings.Settings) error { s.Quota = 50 << 30; return nil }); err != nil {
		t.Fatal(err)
	}
	test.NewTempApp(t)
	loop := uitest.NewLoop()
	v := New(context.Background(), st, WithSource(src), WithPollInterval(20*time.Millisecond), WithDiskDir(t.TempDir()), withUI(loop.Post))
	defer v.Close()
	test.NewTempWindow(t, v.Content()).Resize(fyne.NewSize(1100, 800))

	loop.WaitFor(t, "used/quota is shown", func() bool { return v.usedText.Text == "12 GiB of 50 GiB" })
	loop.WaitFor(t, "the list has three rows", func() bool { return v.list.Length() == 3 })
	func() {
		if v.bar.Max != float64(50<<30) || v.bar.Value != float64(12_300<<20) {
			t.Errorf("bar %v of %v", v.bar.Value, v.bar.Max)
		}
		if got := v.bar.TextFormatter(); got != "24 %" {
			t.Errorf("bar text %q", got)
		}
		if !strings.Contains(v.usedDetail.Text, "24 % used") || !strings.Contains(v.usedDetail.Text, "free on disk") {
			t.Errorf("detail %q", v.usedDetail.Text)
		}
		if v.empty.Visible() || v.notice.Visible() {
			t.Errorf("empty state or notice shown with a source and rows")
		}
		// Most served first; an untitled video shows its shortened CID.
		want := [][]string{
			{shortCID(testCID("b").String()), testCID("b").String(), ReasonPopular, "2.0 GiB", "9.0 GiB"},
			{"My upload", testCID("c").String(), ReasonUpload, "690 MiB", "3.0 GiB"},
			{"Pinned lecture", testCID("a").String(), ReasonPinned, "1.2 GiB", "420 MiB"},
		}
		for i, w := range want {
			row := v.list.CreateItem()
			v.list.UpdateItem(i, row)
			if got := labelTexts(row); !slices.Equal(got, w) {
				t.Errorf("row %d = %q, want %q", i, got, w)
			}
		}
	}()
	loop.WaitFor(t, "an upload rate is shown", func() bool {
		return v.rateText.Text != "0 B/s" && strings.HasSuffix(v.rateText.Text, "/s") &&
			strings.Contains(v.rateDetail.Text, "served since start")
	})

	// Over quota: the bar stays full and the text says what happens.
	src.used.Store(60 << 30)
	loop.WaitFor(t, "over-quota message", func() bool {
		return strings.Contains(v.usedDetail.Text, "10 GiB over the quota") && v.bar.Value == v.bar.Max
	})

	// A failing source leaves a message, not a panic, and recovers.
	src.fail.Store(true)
	loop.WaitFor(t, "source error shown", func() bool {
		return v.status.Visible() && strings.Contains(v.status.Text, "disk unreadable")
	})
	src.fail.Store(false)
	loop.WaitFor(t, "source error cleared", func() bool { return !v.status.Visible() })
}

func TestQuotaEntryAndSliderPersistAndReachEngine(t *testing.T) {
	eng := &testEngine{}
	v, st, loop := newDashboard(t, WithEngine(eng))

	func() {
		v.quotaEntry.SetText("")
		test.Type(v.quotaEntry, "50 GB")
		v.quotaEntry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	}()
	waitSaved(t, st, func(s settings.Settings) bool { return s.Quota == 50e9 })
	loop.WaitFor(t, "engine got the quota", func() bool { q, _, _, _ := eng.last(); return q == 50e9 })
	func() {
		if v.quotaEntry.Text != ui.Bytes(50e9) || v.slider.Value != float64(stepIndex(50e9)) {
			t.Errorf("entry %q slider %v", v.quotaEntry.Text, v.slider.Value)
		}
	}()

	// Dragging the slider to the 200 GiB stop and letting go.
	i := slices.Index(quotaSteps, 200<<30)
	func() {
		v.slider.SetValue(float64(i))
		if v.quotaEntry.Text != "200 GiB" {
			t.Errorf("entry did not follow the drag: %q", v.quotaEntry.Text)
		}
		v.slider.DragEnd()
	}()
	waitSaved(t, st, func(s settings.Settings) bool { return s.Quota == 200<<30 })
	loop.WaitFor(t, "engine got the slider quota", func() bool { q, _, _, _ := eng.last(); return q == 200<<30 })

	// Garbage and out-of-range sizes are refused in place.
	for _, bad := range []string{"lots", "100 MB", "3 TiB"} {
		func() {
			v.quotaEntry.SetText(bad)
			v.quotaEntry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
			if !v.quotaMsg.Visible() || v.quotaMsg.Text == "" {
				t.Errorf("%q: no message", bad)
			}
		}()
	}
	if s, _ := st.Load(); s.Quota != 200<<30 {
		t.Fatalf("bad input changed the saved quota to %d", s.Quota)
	}
}

func waitSaved(t *testing.T, st *settings.Store, ok func(settings.Settings) bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		s, err := st.Load()
		if err == nil && ok(s) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("settings never saved as expected; last %+v, %v", s, err)
		}
		time.Sleep(10 * time.Millisecond) // polling interval, not synchronisation
	}
}

func TestUploadCapAndPause(t *testing.T) {
	eng := &testEngine{}
	v, st, loop := newDashboard(t, WithEngine(eng))
	func() {
		if v.capEntry.Text != "unlimited" {
			t.Errorf("cap entry %q", v.capEntry.Text)
		}
		v.capEntry.SetText("40 Mbit/s")
		v.capEntry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	}()
	waitSaved(t, st, func(s settings.Settings) bool { return s.UploadCap == 5_000_000 })
	loop.WaitFor(t, "engine got the cap", func() bool { _, c, _, _ := eng.last(); return c == 5_000_000 })
	func() {
		if v.capEntry.Text != "4.8 MiB/s" || v.capTip.Text != "≈ 40 Mbit/s" {
			t.Errorf("cap shown as %q, %q", v.capEntry.Text, v.capTip.Text)
		}
		v.capEntry.SetText("fast please")
		v.capEntry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
		if !v.capMsg.Visible() {
			t.Error("bad cap: no message")
		}
	}()

	func() { test.Tap(v.pauseBtn) }()
	waitSaved(t, st, func(s settings.Settings) bool { return s.SeedingPaused })
	loop.WaitFor(t, "engine paused", func() bool { _, _, p, _ := eng.last(); return p })
	func() {
		if v.pauseBtn.Text != "Resume seeding" || !strings.HasPrefix(v.pauseState.Text, "Paused") {
			t.Errorf("paused UI: %q / %q", v.pauseBtn.Text, v.pauseState.Text)
		}
		test.Tap(v.pauseBtn)
	}()
	waitSaved(t, st, func(s settings.Settings) bool { return !s.SeedingPaused })
	loop.WaitFor(t, "engine resumed", func() bool { _, _, p, _ := eng.last(); return !p })

	// A pause made elsewhere (the tray) shows here too.
	if _, err := st.Update(func(s *settings.Settings) error { s.SeedingPaused = true; return nil }); err != nil {
		t.Fatal(err)
	}
	loop.WaitFor(t, "external pause followed", func() bool { return v.pauseBtn.Text == "Resume seeding" })
}

func TestDashboardWithoutEngine(t *testing.T) {
	v, st, _ := newDashboard(t)
	func() {
		if !v.notice.Visible() || !strings.Contains(v.notice.Text, "not running yet") {
			t.Errorf("notice %q", v.notice.Text)
		}
		if v.usedText.Text != "10 GiB quota" || v.rateText.Text != "—" || !v.empty.Visible() {
			t.Errorf("no-source state: %q %q empty visible %v", v.usedText.Text, v.rateText.Text, v.empty.Visible())
		}
		test.Tap(v.pauseBtn)
	}()
	waitSaved(t, st, func(s settings.Settings) bool { return s.SeedingPaused })
}

// blockingSource never answers until its ctx ends: the view must stay
// responsive and Close must not hang.
type blockingSource struct{}

func (blockingSource) Used(ctx context.Context) (int64, error) { <-ctx.Done(); return 0, ctx.Err() }
func (blockingSource) Seeded(ctx context.Context) ([]Entry, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}
func (blockingSource) BytesUploaded() int64 { return 0 }

func TestSlowSourceDoesNotBlock(t *testing.T) {
	v, st, _ := newDashboard(t, WithSource(blockingSource{}))
	func() { test.Tap(v.pauseBtn) }()
	waitSaved(t, st, func(s settings.Settings) bool { return s.SeedingPaused })
	done := make(chan struct{})
	go func() { v.Close(); v.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Close hung on a stuck source")
	}
}

func TestRateChartRenders(t *testing.T) {
	test.NewTempApp(t)
	c := NewRateChart(360, "-60 min")
	w := test.NewTempWindow(t, c)
	w.Resize(fyne.NewSize(600, 200))
	primary := color.NRGBAModel.Convert(theme.Color(theme.ColorNamePrimary)).(color.NRGBA)
	countPrimary := func() int {
		img := w.Canvas().Capture()
		n := 0
		b := img.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				if color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA) == primary {
					n++
				}
			}
		}
		return n
	}

	cases := []struct {
		name    string
		rates   []float64
		top     float64
		drawn   bool
		idleMsg bool
	}{
		{"empty", nil, 1024, false, true},
		{"flat zero", make([]float64, 360), 1024, true, true},
		{"spiky", []float64{0, 3 << 20, math.NaN(), -5, math.Inf(1), 0, 700 << 20, 1}, 1000 << 20, true, false},
		{"more than fits", slices.Repeat([]float64{1500}, 1000), 2048, true, false},
	}
	for _, tc := range cases {
		func() { c.SetRates(tc.rates) }()
		if c.Top() != tc.top {
			t.Errorf("%s: top %v, want %v", tc.name, c.Top(), tc.top)
		}
		r := test.WidgetRenderer(c).(*chartRenderer)
		if r.empty.Visible() != tc.idleMsg {
			t.Errorf("%s: idle message shown=%v", tc.name, r.empty.Visible())
		}
		if n := countPrimary(); (n > 0) != tc.drawn {
			t.Errorf("%s: %d line pixels", tc.name, n)
		}
	}
	if c.TopLabel() != "2.0 KiB/s" {
		t.Errorf("top label %q", c.TopLabel())
	}
	if got := niceTop(3 << 20); got != 5<<20 {
		t.Errorf("niceTop(3 MiB/s) = %v", got)
	}
}

func TestParseUnits(t *testing.T) {
	for in, want := range map[string]int64{
		"50 GB": 50e9, "50GiB": 50 << 30, "2 TiB": 2 << 40, "1.5 tb": 1.5e12, "12": 12 << 30, " 3.5 ": 3.5 * (1 << 30),
	} {
		if got, err := ParseQuota(in); err != nil || got != want {
			t.Errorf("ParseQuota(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "lots", "-3", "5 parsecs"} {
		if _, err := ParseQuota(bad); err == nil {
			t.Errorf("ParseQuota(%q) accepted", bad)
		}
	}
	for in, want := range map[string]int64{
		"": 0, "unlimited": 0, "Unlimited": 0, "0": 0,
		"5 MiB/s": 5 << 20, "5 MB/s": 5e6, "5MBps": 5e6, "2": 2 << 20,
		"40 Mbit/s": 5e6, "40 Mbps": 5e6, "40mbit": 5e6, "800 kbit/s": 1e5, "1 Gbit": 125e6,
		"4.8 MiB/s": 5033164,
	} {
		if got, err := ParseUploadCap(in); err != nil || got != want {
			t.Errorf("ParseUploadCap(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"fast", "-1", "x Mbit/s"} {
		if _, err := ParseUploadCap(bad); err == nil {
			t.Errorf("ParseUploadCap(%q) accepted", bad)
		}
	}
	// Above 0 but below 1 B/s once rounded: refused, not "unlimited".
	for _, tiny := range []string{"3 bit/s", "1e-9", "0.2 B/s", "0.0000001"} {
		if got, err := ParseUploadCap(tiny); err == nil || !strings.Contains(err.Error(), "below 1 B/s") {
			t.Errorf("ParseUploadCap(%q) = %d, %v; want an error saying it is below 1 B/s", tiny, got, err)
		}
	}
	for _, zero := range []string{"0.0", "0 Mbit/s", "0 B/s"} {
		if got, err := ParseUploadCap(zero); err != nil || got != 0 {
			t.Errorf("ParseUploadCap(%q) = %d, %v; want 0 (unlimited)", zero, got, err)
		}
	}
	if FormatUploadCap(0) != "unlimited" || FormatUploadCap(5<<20) != "5.0 MiB/s" {
		t.Error("FormatUploadCap")
	}
	if stepIndex(0) != 0 || quotaSteps[stepIndex(47<<30)] != 40<<30 || quotaSteps[stepIndex(5<<40)] != 2<<40 {
		t.Error("stepIndex")
	}
}

func TestAutoSeedSwitch(t *testing.T) {
	v, st, loop := newDashboard(t)
	if v.autoSeedCheck.Checked {
		t.Fatal("auto-seeding on by default; volunteers opt in")
	}
	func() { test.Tap(v.autoSeedCheck) }()
	waitSaved(t, st, func(s settings.Settings) bool { return s.AutoSeed })
	// Turned off elsewhere (another window, a script): the switch follows.
	if _, err := st.Update(func(s *settings.Settings) error { s.AutoSeed = false; return nil }); err != nil {
		t.Fatal(err)
	}
	loop.WaitFor(t, "switch follows the setting", func() bool { return !v.autoSeedCheck.Checked })
}

// The download cap and the seeding hours: typed, saved, handed to the
// engine, refused when malformed (the saved value stays), and the pause
// line says when seeding runs by the clock the view is given.
func TestDownloadCapAndSeedHours(t *testing.T) {
	eng := &testEngine{}
	var clockMu sync.Mutex
	now := time.Date(2025, 3, 1, 20, 0, 0, 0, time.Local)
	clock := func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return now }
	v, st, loop := newDashboard(t, WithEngine(eng), withClock(clock))
	func() {
		if v.downEntry.Text != "unlimited" || v.hoursEntry.Text != "always" || v.pauseState.Text != "Seeding within your limits." {
			t.Errorf("defaults shown as %q, %q, %q", v.downEntry.Text, v.hoursEntry.Text, v.pauseState.Text)
		}
		v.downEntry.SetText("16 Mbit/s")
		v.downEntry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
		v.hoursEntry.SetText(" 23:00 - 7:00 ")
		v.hoursEntry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	}()
	waitSaved(t, st, func(s settings.Settings) bool { return s.DownloadCap == 2_000_000 && s.SeedHours == "23:00-07:00" })
	loop.WaitFor(t, "engine got the download cap and hours", func() bool {
		c, h, _ := eng.lastSchedule()
		return c == 2_000_000 && h == "23:00-07:00"
	})
	loop.WaitFor(t, "the entries show what was saved", func() bool {
		return v.downEntry.Text == "1.9 MiB/s" && strings.Contains(v.downTip.Text, "16 Mbit/s") &&
			v.hoursEntry.Text == "23:00-07:00" &&
			v.pauseState.Text == "Outside your seeding hours: nothing is uploaded or auto-seeded until 23:00."
	})

	// The window opens as the clock passes 23:00: the next poll says so.
	clockMu.Lock()
	now = now.Add(3*time.Hour + 30*time.Minute)
	clockMu.Unlock()
	func() {
		if v.pauseState.Importance != widget.WarningImportance {
			t.Errorf("outside the hours the line is not a warning (importance %v)", v.pauseState.Importance)
		}
	}()
	loop.WaitFor(t, "the window open", func() bool { return v.pauseState.Text == "Seeding within your limits until 07:00." })
	func() {
		if v.pauseState.Importance != widget.LowImportance {
			t.Errorf("within the hours the line stands out (importance %v)", v.pauseState.Importance)
		}
	}()

	// Malformed input is refused in place and saves nothing.
	_, _, calls := eng.lastSchedule()
	for _, bad := range []struct {
		entry *widget.Entry
		msg   *widget.Label
		text  string
	}{{v.downEntry, v.downMsg, "fast"}, {v.hoursEntry, v.hoursMsg, "night"}, {v.hoursEntry, v.hoursMsg, "22:00-22:00"}} {
		func() {
			bad.entry.SetText(bad.text)
			bad.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
			if !bad.msg.Visible() || bad.msg.Text == "" {
				t.Errorf("%q: no message", bad.text)
			}
		}()
	}
	if s, _ := st.Load(); s.DownloadCap != 2_000_000 || s.SeedHours != "23:00-07:00" {
		t.Fatalf("bad input changed the saved values: %d, %q", s.DownloadCap, s.SeedHours)
	}
	if _, _, n := eng.lastSchedule(); n != calls {
		t.Fatalf("bad input reached the engine (%d calls, had %d)", n, calls)
	}

	// "always" clears the hours; a change made elsewhere shows here.
	func() {
		v.hoursEntry.SetText("always")
		v.hoursEntry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
		if v.hoursMsg.Visible() {
			t.Errorf("message %q still shown after a good value", v.hoursMsg.Text)
		}
	}()
	waitSaved(t, st, func(s settings.Settings) bool { return s.SeedHours == "" })
	if _, err := st.Update(func(s *settings.Settings) error { s.SeedHours, s.DownloadCap = "09:00-17:00", 0; return nil }); err != nil {
		t.Fatal(err)
	}
	loop.WaitFor(t, "hours and cap set elsewhere followed", func() bool {
		return v.hoursEntry.Text == "09:00-17:00" && v.downEntry.Text == "unlimited" &&
			strings.HasPrefix(v.pauseState.Text, "Outside your seeding hours") // 23:30
	})
}
