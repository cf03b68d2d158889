package library

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// clockForm is all ParseSeedHours may accept on either side of the dash,
// spaces aside.
var clockForm = regexp.MustCompile(`^[0-9]{1,2}:[0-9]{2}$`)

// FuzzParseSeedHours: a window is "always" or written HH:MM-HH:MM, reads
// back from its String as the same window, and at any moment (in UTC,
// where no clock jumps) changes next at NextChange: within a day, not
// before.
func FuzzParseSeedHours(f *testing.F) {
	for _, s := range []string{"", "always", " Always ", "23:00-07:00", "7:05 - 9:30", "00:00-23:59", "23:00", "night",
		"24:00-07:00", "23:60-07:00", "23-07", "23:00-07:00-09:00", "123:00-07:00", "23:0-07:00", "-1:00-07:00",
		"08:00-08:00", "a:bc-07:00", "+7:00-08:00", "07:+5-08:00"} {
		f.Add(s, int64(1767225600))
	}
	f.Fuzz(func(t *testing.T, s string, unix int64) {
		h, err := ParseSeedHours(s)
		if err != nil {
			return
		}
		from, to, _ := strings.Cut(s, "-")
		if !h.Always() && (!clockForm.MatchString(strings.TrimSpace(from)) || !clockForm.MatchString(strings.TrimSpace(to))) {
			t.Fatalf("ParseSeedHours(%q) = %v: not a HH:MM-HH:MM window", s, h)
		}
		again, err := ParseSeedHours(h.String())
		if err != nil || again != h {
			t.Fatalf("ParseSeedHours(%q) = %v, whose String reads as %v, %v", s, h, again, err)
		}
		if h.Always() {
			return
		}
		now := time.Unix(unix%(1<<40), 0).UTC() // within years Go's time handles
		next := h.NextChange(now)
		if !next.After(now) || next.Sub(now) > 24*time.Hour {
			t.Fatalf("%v at %v: next change %v", h, now, next)
		}
		if h.Open(next) == h.Open(now) || h.Open(next.Add(-time.Nanosecond)) != h.Open(now) {
			t.Fatalf("%v at %v (open %v): next change %v does not change it", h, now, h.Open(now), next)
		}
	})
}
