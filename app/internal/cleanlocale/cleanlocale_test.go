package cleanlocale

import "testing"

func TestApply(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string // LC_MESSAGES afterwards, "" if untouched
	}{
		{map[string]string{"LANG": "C.UTF-8"}, "C"},
		{map[string]string{"LANG": "POSIX.utf8"}, "C"},
		{map[string]string{"LANG": "de_DE.UTF-8", "LC_MESSAGES": "C.UTF-8"}, "C"},
		{map[string]string{"LANG": "C"}, ""},
		{map[string]string{"LANG": "en_GB.UTF-8"}, ""},
		{map[string]string{"LANG": "C.UTF-8", "LC_MESSAGES": "fr_FR.UTF-8"}, "fr_FR.UTF-8"},
		{map[string]string{"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}, ""},
		{map[string]string{}, ""},
	} {
		env := map[string]string{}
		for k, v := range tc.env {
			env[k] = v
		}
		Apply(func(k string) string { return env[k] }, func(k, v string) error { env[k] = v; return nil })
		if got := env["LC_MESSAGES"]; got != tc.want {
			t.Errorf("%v: LC_MESSAGES = %q, want %q", tc.env, got, tc.want)
		}
	}
}
