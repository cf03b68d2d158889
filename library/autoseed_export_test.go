package library

import "time"

// WithSeedClock replaces the AutoSeeder's clock, so tests step through
// keep times and half-lives without waiting.
func WithSeedClock(now func() time.Time) AutoSeedOption {
	return func(c *seedConfig) { c.now = now }
}

// RaceEnabled says whether the tests run under the race detector, for the
// external test package's heavy tests.
const RaceEnabled = raceEnabled

// Tracked is how many videos the engine keeps popularity sums for.
func (a *AutoSeeder) Tracked() int {
	a.roundMu.Lock()
	defer a.roundMu.Unlock()
	return len(a.pop)
}
