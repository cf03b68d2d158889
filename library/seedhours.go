package library

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SeedHours is the daily window in which a node seeds: serves others
// beyond what its own user needs, and fetches videos to auto-seed.
// Outside it the app pauses seeding as the Pause button does. The zero
// value is "always".
//
// Times are wall-clock times in the machine's zone (the evening a
// volunteer means is theirs), minutes precision; the window includes its
// start and excludes its end, and one whose end is earlier than its start
// runs past midnight ("23:00-07:00" is the night). On a day the clocks
// change, a window edge that does not exist that day (02:30 when clocks
// jump from 02:00 to 03:00) comes as late as Go's time.Date normalizes it.
type SeedHours struct {
	set        bool
	start, end int // minutes after midnight
}

// ParseSeedHours reads "HH:MM-HH:MM" (24-hour clock, "7:00" allowed,
// spaces around the dash too). "" and "always" mean always. Start and end
// must differ: a window of no length or of all day is better said as
// "always" or by pausing seeding.
func ParseSeedHours(s string) (SeedHours, error) {
	t := strings.TrimSpace(s)
	if t == "" || strings.EqualFold(t, "always") {
		return SeedHours{}, nil
	}
	from, to, ok := strings.Cut(t, "-")
	if !ok {
		return SeedHours{}, fmt.Errorf("seeding hours %q: want a window like 23:00-07:00, or \"always\"", s)
	}
	start, err := parseClock(from)
	if err != nil {
		return SeedHours{}, fmt.Errorf("seeding hours %q: start: %w", s, err)
	}
	end, err := parseClock(to)
	if err != nil {
		return SeedHours{}, fmt.Errorf("seeding hours %q: end: %w", s, err)
	}
	if start == end {
		return SeedHours{}, fmt.Errorf("seeding hours %q: start and end are the same; say \"always\" to seed all day", s)
	}
	return SeedHours{set: true, start: start, end: end}, nil
}

// parseClock reads "HH:MM" into minutes after midnight.
func parseClock(s string) (int, error) {
	s = strings.TrimSpace(s)
	hh, mm, ok := strings.Cut(s, ":")
	h, herr := strconv.Atoi(hh)
	m, merr := strconv.Atoi(mm)
	// Digits only: Atoi also takes a sign ("+7", "-0").
	if !ok || herr != nil || merr != nil || len(hh) < 1 || len(hh) > 2 || len(mm) != 2 || !allDigits(hh+mm) {
		return 0, fmt.Errorf("%q is not a time like 07:30", s)
	}
	if h < 0 || h > 23 || m < 0 || m > 59 {
		return 0, fmt.Errorf("%q is not a time of day (00:00 to 23:59)", s)
	}
	return h*60 + m, nil
}

func allDigits(s string) bool {
	return strings.Trim(s, "0123456789") == ""
}

// Always reports whether the window is the whole day (no schedule).
func (h SeedHours) Always() bool { return !h.set }

// String is the window as ParseSeedHours reads it: "23:00-07:00" or
// "always".
func (h SeedHours) String() string {
	if !h.set {
		return "always"
	}
	return fmt.Sprintf("%02d:%02d-%02d:%02d", h.start/60, h.start%60, h.end/60, h.end%60)
}

// Open reports whether t falls within the window.
func (h SeedHours) Open(t time.Time) bool {
	if !h.set {
		return true
	}
	m := t.Hour()*60 + t.Minute()
	if h.start < h.end {
		return m >= h.start && m < h.end
	}
	return m >= h.start || m < h.end // past midnight
}

// NextChange is the first moment after t at which Open changes; the zero
// time for "always".
func (h SeedHours) NextChange(t time.Time) time.Time {
	if !h.set {
		return time.Time{}
	}
	edge := h.start
	if h.Open(t) {
		edge = h.end
	}
	y, mo, d := t.Date()
	next := time.Date(y, mo, d, edge/60, edge%60, 0, 0, t.Location())
	if !next.After(t) {
		next = time.Date(y, mo, d+1, edge/60, edge%60, 0, 0, t.Location())
	}
	return next
}

// Clock is the time source of WatchSeedHours; tests pass their own so
// they never wait for the real clock.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// SystemClock is the machine's clock.
type SystemClock struct{}

func (SystemClock) Now() time.Time                         { return time.Now() }
func (SystemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// seedHoursRecheck bounds how long WatchSeedHours trusts one computed
// wait: a machine that slept or a clock that was set is noticed within it.
const seedHoursRecheck = time.Minute

// WatchSeedHours calls apply with whether clk's time is within h, at once
// and then whenever that changes, until ctx ends. It looks again at least
// every minute, so suspend and clock changes are noticed.
func WatchSeedHours(ctx context.Context, h SeedHours, clk Clock, apply func(open bool)) {
	open := h.Open(clk.Now())
	apply(open)
	if h.Always() {
		return
	}
	for {
		now := clk.Now()
		wait := min(h.NextChange(now).Sub(now), seedHoursRecheck)
		select {
		case <-ctx.Done():
			return
		case <-clk.After(wait):
		}
		if o := h.Open(clk.Now()); o != open {
			open = o
			apply(open)
		}
	}
}
