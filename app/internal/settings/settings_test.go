package settings

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestLoadMissingGivesDefaults(t *testing.T) {
	dir := t.TempDir()
	s, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !Equal(s, Defaults()) {
		t.Fatalf("got %+v, want defaults %+v", s, Defaults())
	}
	if s.Quota != 10<<30 || s.Theme != ThemeSystem || len(s.Gateways) != 4 {
		t.Fatalf("defaults changed: %+v", s)
	}
	if _, err := os.Stat(filepath.Join(dir, FileName)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Load created a file: %v", err)
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	want := Settings{
		RepoDir:            filepath.Join(dir, "my repo"),
		Ports:              Ports{TCP: 4101, QUIC: 4102},
		Quota:              50 << 30,
		UploadCap:          5 << 20,
		DownloadCap:        2 << 20,
		SeedingPaused:      true,
		SeedHours:          "23:00-07:00",
		PrivateMode:        true,
		KeepSeedingOnClose: true,
		StartAtLogin:       true,
		Theme:              ThemeDark,
		Gateways:           []string{"http://127.0.0.1:8080", "https://ipfs.io"},
	}
	if err := Save(dir, want); err != nil {
		t.Fatal(err)
	}
	got, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !Equal(got, want) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, want)
	}
	data, _ := os.ReadFile(filepath.Join(dir, FileName))
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	if raw["version"] != float64(FormatVersion) {
		t.Fatalf("version = %v in %s", raw["version"], data)
	}
	if fi, _ := os.Stat(filepath.Join(dir, FileName)); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestEmptyGatewayListStaysEmpty(t *testing.T) {
	dir := t.TempDir()
	s := Defaults()
	s.Gateways = nil
	if err := Save(dir, s); err != nil {
		t.Fatal(err)
	}
	got, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.Gateways == nil || len(got.Gateways) != 0 {
		t.Fatalf("no gateways came back as %#v, want an empty list (fallback off)", got.Gateways)
	}
	// A file without the key gets the defaults.
	os.WriteFile(filepath.Join(dir, FileName), []byte(`{"version":1,"quotaBytes":2147483648}`), 0o600)
	got, err = Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Gateways, DefaultGateways()) || got.Quota != 2<<30 || got.Theme != ThemeSystem {
		t.Fatalf("partial file: %+v", got)
	}
}

func TestCorruptFileIsReportedAndKept(t *testing.T) {
	for name, content := range map[string]string{
		"not json":      `{"version":1,"quotaBytes":`,
		"wrong type":    `{"version":1,"quotaBytes":"ten gigs"}`,
		"invalid value": `{"version":1,"quotaBytes":-5}`,
		"bad version":   `{"version":"one"}`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, FileName)
			os.WriteFile(path, []byte(content), 0o600)
			s, err := Load(dir)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("err = %v, want ErrCorrupt", err)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
			if !Equal(s, Defaults()) {
				t.Errorf("damaged file gave %+v, want defaults", s)
			}
			if b, _ := os.ReadFile(path); string(b) != content {
				t.Fatalf("Load changed the damaged file to %q", b)
			}

			// Choosing new values replaces it, keeping the old bytes aside.
			st := NewStore(dir)
			if _, err := st.Update(func(s *Settings) error { s.Quota = 3 << 30; return nil }); err != nil {
				t.Fatal(err)
			}
			if b, _ := os.ReadFile(path + ".corrupt"); string(b) != content {
				t.Fatalf("damaged file not kept aside: %q", b)
			}
			if s, err := Load(dir); err != nil || s.Quota != 3<<30 {
				t.Fatalf("after update: %+v, %v", s, err)
			}
		})
	}
}

func TestAtomicWriteLeavesNoTempFiles(t *testing.T) {
	dir := t.TempDir()
	st := NewStore(dir)
	for i := range 20 {
		if _, err := st.Update(func(s *Settings) error { s.UploadCap = int64(i+1) << 20; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	// An invalid change fails without leaving anything behind either.
	if _, err := st.Update(func(s *Settings) error { s.Quota = -1; return nil }); err == nil {
		t.Fatal("negative quota saved")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{FileName}) {
		t.Fatalf("directory holds %v, want only %s", names, FileName)
	}
	if s, _ := st.Load(); s.UploadCap != 20<<20 {
		t.Fatalf("UploadCap = %d after the failed update, want the last good value", s.UploadCap)
	}
}

func TestUnknownFieldsArePreserved(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	os.WriteFile(path, []byte(`{"version":1,"quotaBytes":4294967296,"futureThing":{"a":[1,2]}}`), 0o600)
	if _, err := NewStore(dir).Update(func(s *Settings) error { s.PrivateMode = true; return nil }); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	var raw map[string]json.RawMessage
	json.Unmarshal(data, &raw)
	if string(raw["futureThing"]) == "" || !strings.Contains(string(data), `"a": [`) {
		t.Fatalf("unknown field lost:\n%s", data)
	}
	if string(raw["privateMode"]) != "true" || string(raw["quotaBytes"]) != "4294967296" {
		t.Fatalf("known fields wrong:\n%s", data)
	}
}

func TestNewerFormatIsReadNotOverwritten(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	content := `{"version":2,"quotaBytes":4294967296,"theme":"dark","newKnob":true}`
	os.WriteFile(path, []byte(content), 0o600)
	s, err := Load(dir)
	if err != nil || s.Quota != 4<<30 || s.Theme != ThemeDark {
		t.Fatalf("Load newer: %+v, %v", s, err)
	}
	err = Save(dir, s)
	if !errors.Is(err, ErrNewerFormat) {
		t.Fatalf("Save over newer format: %v, want ErrNewerFormat", err)
	}
	if b, _ := os.ReadFile(path); string(b) != content {
		t.Fatalf("newer file overwritten: %s", b)
	}
}

func TestValidate(t *testing.T) {
	bad := map[string]func(*Settings){
		"storage quota: -1 bytes is negative":   func(s *Settings) { s.Quota = -1 },
		"storage quota: must be at least 1 GiB": func(s *Settings) { s.Quota = 100 << 20 },
		"storage quota: must be at most 2 TiB":  func(s *Settings) { s.Quota = 3 << 40 },
		"upload cap: -5 bytes/s is negative":    func(s *Settings) { s.UploadCap = -5 },
		"download cap for seeding: -1 bytes/s":  func(s *Settings) { s.DownloadCap = -1 },
		`seeding hours "night"`:                 func(s *Settings) { s.SeedHours = "night" },
		`seeding hours "23:00-23:00"`:           func(s *Settings) { s.SeedHours = "23:00-23:00" },
		"TCP port: 80 needs administrator":      func(s *Settings) { s.Ports.TCP = 80 },
		"QUIC port: 70000 is not a port":        func(s *Settings) { s.Ports.QUIC = 70000 },
		`theme "blue"`:                          func(s *Settings) { s.Theme = "blue" },
		"must be an absolute path":              func(s *Settings) { s.RepoDir = "relative/repo" },
		`gateway "ftp://x.example": not a URL`:  func(s *Settings) { s.Gateways = []string{"ftp://x.example"} },
		"plain http:// is allowed only on this machine": func(s *Settings) {
			s.Gateways = []string{"http://gateway.example"}
		},
		"only scheme, host, port and path": func(s *Settings) { s.Gateways = []string{"https://u:p@gw.example"} },
		"listed twice":                     func(s *Settings) { s.Gateways = []string{"https://ipfs.io/", "https://IPFS.io"} },
		"gateway: empty URL":               func(s *Settings) { s.Gateways = []string{" "} },
	}
	for want, edit := range bad {
		s := Defaults()
		edit(&s)
		err := s.Validate()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want error containing %q, got %v", want, err)
		}
	}
	ok := Defaults()
	ok.Ports = Ports{TCP: 4001, QUIC: 0}
	ok.Gateways = []string{"http://localhost:8080", "http://[::1]:9000/base", "https://gw.example/prefix/"}
	ok.UploadCap = 0
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid settings rejected: %v", err)
	}
	for in, want := range map[string]string{
		" https://IPFS.io/ ":        "https://ipfs.io",
		"http://127.0.0.1:8080/":    "http://127.0.0.1:8080",
		"https://gw.example/p/":     "https://gw.example/p",
		"https://Gw.Example:443/ab": "https://gw.example:443/ab",
	} {
		if got, err := NormalizeGateway(in); err != nil || got != want {
			t.Errorf("NormalizeGateway(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestWatchSeesUpdates(t *testing.T) {
	st := NewStore(t.TempDir())
	got := make(chan Settings, 4)
	cancel := st.Watch(func(s Settings) { got <- s })
	if _, err := st.Update(func(s *Settings) error { s.SeedingPaused = true; return nil }); err != nil {
		t.Fatal(err)
	}
	if s := <-got; !s.SeedingPaused {
		t.Fatalf("watcher got %+v", s)
	}
	cancel()
	if _, err := st.Update(func(s *Settings) error { s.SeedingPaused = false; return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Fatal("watcher called after cancel")
	}
	// A change func's error aborts the update.
	if _, err := st.Update(func(s *Settings) error { return errors.New("no") }); err == nil {
		t.Fatal("error from change ignored")
	}
}
