package settingsview

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ipfs-tube/ipfs-tube/app/internal/settings"
	"github.com/ipfs-tube/ipfs-tube/app/internal/ui/uitest"
)

func newPage(t *testing.T, dir string, opts ...Option) (*View, *uitest.Loop) {
	t.Helper()
	test.NewTempApp(t)
	st := settings.NewStore(dir)
	w := test.NewTempWindow(t, widget.NewLabel(""))
	loop := uitest.NewLoop()
	v := New(context.Background(), st, w, append(opts, withUI(loop.Post))...)
	t.Cleanup(v.Close)
	w.SetContent(v.Content())
	w.Resize(fyne.NewSize(1200, 800))
	return v, loop
}

func noAutostart(bool) error { return nil }

func TestEditAndSavePersists(t *testing.T) {
	dir := t.TempDir()
	v, loop := newPage(t, dir, WithAutostart(noAutostart))
	repo := filepath.Join(t.TempDir(), "videos repo")
	func() {
		if !v.saveBtn.Disabled() {
			t.Error("Save enabled with nothing changed")
		}
		test.Type(v.repoEntry, repo)
		test.Type(v.tcpEntry, "4101")
		test.Type(v.quicEntry, "4102")
		test.Type(v.gwEntry, "http://127.0.0.1:8080/")
		v.gwEntry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
		v.moveGateway(4, -1) // the new one up, above 4everland
		v.removeGateway(2)   // dweb.link
		test.Tap(v.private)
		test.Tap(v.keepSeeding)
		if v.saveBtn.Disabled() {
			t.Error("Save disabled after edits")
		}
	}()
	// The dashboard changes the quota meanwhile; saving this page must keep it.
	if _, err := settings.NewStore(dir).Update(func(s *settings.Settings) error { s.Quota = 77 << 30; return nil }); err != nil {
		t.Fatal(err)
	}
	func() { test.Tap(v.saveBtn) }()
	loop.WaitFor(t, "saved", func() bool { return v.status.Text == "Saved." })

	got, err := settings.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"https://trustless-gateway.link", "https://ipfs.io", "http://127.0.0.1:8080", "https://4everland.io"}
	if got.RepoDir != repo || got.Ports != (settings.Ports{TCP: 4101, QUIC: 4102}) ||
		!slices.Equal(got.Gateways, want) || !got.PrivateMode || !got.KeepSeedingOnClose ||
		got.StartAtLogin || got.Quota != 77<<30 {
		t.Fatalf("saved %+v", got)
	}
	func() {
		if !v.saveBtn.Disabled() || !v.revertBtn.Disabled() {
			t.Error("Save/Revert still enabled after saving")
		}
	}()

	// A new page shows what was saved.
	v2, _ := newPage(t, dir, WithAutostart(noAutostart))
	func() {
		if v2.repoEntry.Text != repo || v2.tcpEntry.Text != "4101" || !v2.private.Checked ||
			!slices.Equal(v2.gateways, want) {
			t.Errorf("reloaded page: repo %q tcp %q private %v gateways %v",
				v2.repoEntry.Text, v2.tcpEntry.Text, v2.private.Checked, v2.gateways)
		}
	}()
}

func TestInvalidFieldsShowMessagesAndDoNotSave(t *testing.T) {
	dir := t.TempDir()
	v, loop := newPage(t, dir, WithAutostart(noAutostart))
	func() {
		test.Type(v.gwEntry, "http://gateway.example")
		test.Type(v.tcpEntry, "80")
		test.Type(v.quicEntry, "many")
		test.Type(v.repoEntry, "relative/dir")
		test.Tap(v.saveBtn)
		if !v.gwMsg.Visible() || !strings.Contains(v.gwMsg.Text, "plain http://") {
			t.Errorf("gateway message %q", v.gwMsg.Text)
		}
		if !v.portMsg.Visible() || !strings.Contains(v.portMsg.Text, "TCP port: 80 needs administrator") ||
			!strings.Contains(v.portMsg.Text, `QUIC port: "many" is not a number`) {
			t.Errorf("port message %q", v.portMsg.Text)
		}
		if !v.repoMsg.Visible() || !strings.Contains(v.repoMsg.Text, "full path") {
			t.Errorf("repo message %q", v.repoMsg.Text)
		}
		if !strings.Contains(v.status.Text, "Nothing was saved") {
			t.Errorf("status %q", v.status.Text)
		}
		if len(v.gateways) != 4 {
			t.Errorf("invalid gateway entered the list: %v", v.gateways)
		}
	}()
	if _, err := os.Stat(filepath.Join(dir, settings.FileName)); !os.IsNotExist(err) {
		t.Fatalf("settings file written despite invalid fields: %v", err)
	}

	// Fixing the fields lets it save; the duplicate gateway is refused.
	func() {
		v.gwEntry.SetText("https://IPFS.io/")
		v.gwEntry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
		if !strings.Contains(v.gwMsg.Text, "already in the list") {
			t.Errorf("duplicate: %q", v.gwMsg.Text)
		}
		v.gwEntry.SetText("")
		v.tcpEntry.SetText("")
		v.quicEntry.SetText("4102")
		v.repoEntry.SetText("")
		test.Tap(v.saveBtn)
	}()
	loop.WaitFor(t, "saved after fixing", func() bool { return v.status.Text == "Saved." })
	if s, err := settings.Load(dir); err != nil || s.Ports.QUIC != 4102 || s.Ports.TCP != 0 {
		t.Fatalf("after fix: %+v, %v", s, err)
	}
}

func TestThemeSwitchApplies(t *testing.T) {
	dir := t.TempDir()
	v, loop := newPage(t, dir, WithAutostart(noAutostart))
	app := fyne.CurrentApp()
	dark := theme.DefaultTheme().Color(theme.ColorNameBackground, theme.VariantDark)
	light := theme.DefaultTheme().Color(theme.ColorNameBackground, theme.VariantLight)

	func() { v.themeRadio.SetSelected("Dark") }()
	loop.WaitFor(t, "dark theme applied", func() bool {
		vt, ok := app.Settings().Theme().(*variantTheme)
		return ok && vt.Variant() == theme.VariantDark && theme.Color(theme.ColorNameBackground) == dark
	})
	waitTheme(t, dir, settings.ThemeDark)

	func() { v.themeRadio.SetSelected("Light") }()
	loop.WaitFor(t, "light theme applied", func() bool { return theme.Color(theme.ColorNameBackground) == light })
	waitTheme(t, dir, settings.ThemeLight)

	func() { v.themeRadio.SetSelected("System") }()
	loop.WaitFor(t, "system theme applied", func() bool { return app.Settings().Theme() == theme.DefaultTheme() })
	waitTheme(t, dir, settings.ThemeSystem)
}

func waitTheme(t *testing.T, dir string, want settings.Theme) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		s, err := settings.Load(dir)
		if err == nil && s.Theme == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("theme saved as %q (%v), want %q", s.Theme, err, want)
		}
		time.Sleep(10 * time.Millisecond) // polling interval, not synchronisation
	}
}

func TestStartAtLoginAppliedOnSave(t *testing.T) {
	cfg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfg)
	entry := filepath.Join(cfg, "autostart", "ipfs-tube.desktop")
	dir := t.TempDir()
	v, loop := newPage(t, dir) // the real autostart

	func() {
		test.Tap(v.startAtLogin)
		test.Tap(v.saveBtn)
	}()
	loop.WaitFor(t, "saved", func() bool { return v.status.Text == "Saved." })
	data, err := os.ReadFile(entry)
	if err != nil || !strings.Contains(string(data), "Exec=") {
		t.Fatalf("autostart entry: %q, %v", data, err)
	}
	if s, _ := settings.Load(dir); !s.StartAtLogin {
		t.Fatal("StartAtLogin not saved")
	}

	func() {
		test.Tap(v.startAtLogin)
		test.Tap(v.saveBtn)
	}()
	loop.WaitFor(t, "saved again", func() bool { return v.status.Text == "Saved." && !v.startAtLogin.Checked })
	if _, err := os.Stat(entry); !os.IsNotExist(err) {
		t.Fatalf("autostart entry still there: %v", err)
	}
}

func TestRevertAndDamagedFile(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, settings.FileName), []byte("{not json"), 0o600)
	v, _ := newPage(t, dir, WithAutostart(noAutostart))
	func() {
		if !strings.Contains(v.status.Text, "could not be read") {
			t.Errorf("damaged file not reported: %q", v.status.Text)
		}
		test.Type(v.tcpEntry, "5000")
		v.removeGateway(0)
		test.Tap(v.revertBtn)
		if v.tcpEntry.Text != "" || len(v.gateways) != 4 || !v.saveBtn.Disabled() {
			t.Errorf("revert: tcp %q gateways %v", v.tcpEntry.Text, v.gateways)
		}
	}()
	if b, _ := os.ReadFile(filepath.Join(dir, settings.FileName)); string(b) != "{not json" {
		t.Fatal("opening the page changed the damaged file")
	}
}

type fixedRanking []GatewayRank

func (r fixedRanking) GatewayRanking() []GatewayRank { return r }

func TestGatewayRankingSection(t *testing.T) {
	v, _ := newPage(t, t.TempDir(), WithAutostart(noAutostart))
	func() {
		if v.rankSection.Visible() {
			t.Error("ranking shown without a source")
		}
	}()
	r := fixedRanking{
		{URL: "https://trustless-gateway.link", Score: 0.9, Latency: 84 * time.Millisecond, SuccessRate: 0.99, State: "ok"},
		{URL: "https://dweb.link", Score: 0.4, Latency: 650 * time.Millisecond, SuccessRate: 0.81, State: "slow"},
	}
	v2, loop2 := newPage(t, t.TempDir(), WithAutostart(noAutostart), WithGatewayRanking(r))
	loop2.WaitFor(t, "ranking rows", func() bool { return len(v2.rankRows.Objects) == 2 })
	func() {
		if !v2.rankSection.Visible() {
			t.Error("ranking hidden")
		}
		var texts []string
		var walk func(o fyne.CanvasObject)
		walk = func(o fyne.CanvasObject) {
			switch x := o.(type) {
			case *widget.Label:
				texts = append(texts, x.Text)
			case *fyne.Container:
				for _, c := range x.Objects {
					walk(c)
				}
			}
		}
		walk(v2.rankRows.Objects[1])
		joined := strings.Join(texts, " | ")
		for _, want := range []string{"2. https://dweb.link", "650 ms · 81 % ok · score 0.40", "slow"} {
			if !strings.Contains(joined, want) {
				t.Errorf("row %q lacks %q", joined, want)
			}
		}
	}()
}
