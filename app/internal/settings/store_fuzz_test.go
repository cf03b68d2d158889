package settings

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad: a settings file is refused as damaged (and left as it was),
// or gives settings that validate; a change saved over it is what the
// next Load reads, unless a newer build wrote it, which is then left
// alone.
func FuzzLoad(f *testing.F) {
	for _, s := range []string{
		`{"version":1,"quotaBytes":4294967296,"futureThing":{"a":[1,2]}}`,
		`{"version":2,"quotaBytes":4294967296,"theme":"dark","newKnob":true}`,
		`{"version":1,"gateways":[]}`, `{"version":1,"gateways":null}`, `{"gateways":["https://EXAMPLE.org/"]}`,
		`{"version":1,"quotaBytes":-1}`, `{"version":0}`, `not json`, `[]`, `{"version":"1"}`,
		`{"version":1,"seedHours":"23:00-07:00","ports":{"tcp":4001,"quic":4001},"theme":"light"}`,
		`{"version":2,"quotaBytes":-5,"theme":"neon","gateways":["ftp://x","https://a.example","https://a.example/"]}`,
		`{"version":1,"quotabytes":5368709120}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, FileName)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := Load(dir)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) || !Equal(s, Defaults()) {
				t.Fatalf("Load(%q) = %+v, %v; want Defaults and ErrCorrupt", data, s, err)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(after, data) {
				t.Fatalf("Load changed a damaged file")
			}
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("Load(%q) = %+v, which does not validate: %v", data, s, err)
		}
		saved, err := NewStore(dir).Update(func(s *Settings) error {
			s.Quota, s.Theme, s.PrivateMode = MinQuota+1, ThemeDark, !s.PrivateMode
			return nil
		})
		if errors.Is(err, ErrNewerFormat) {
			if after, _ := os.ReadFile(path); !bytes.Equal(after, data) {
				t.Fatalf("Update overwrote a newer file")
			}
			return
		}
		if err != nil {
			t.Fatalf("Update over %q: %v", data, err)
		}
		again, err := Load(dir)
		if err != nil || !Equal(again, saved) {
			after, _ := os.ReadFile(path)
			t.Fatalf("over %q saved %+v, but the file\n%s\nreads as %+v, %v", data, saved, after, again, err)
		}
	})
}
