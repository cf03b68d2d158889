package library

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
)

// ErrSeedingStopped is what Seeding.Failure wraps: the seeding engine
// stopped on its own, before Close.
var ErrSeedingStopped = errors.New("seeding stopped")

// SeedingOption configures NewSeeding.
type SeedingOption func(*seedingConfig)

type seedingConfig struct {
	clock     Clock
	log       *slog.Logger
	keeper    []KeeperOption
	seeder    []AutoSeedOption
	onFailure func(error)
}

// WithSeedingClock sets the clock the seeding hours follow (default: the
// system's).
func WithSeedingClock(c Clock) SeedingOption { return func(cfg *seedingConfig) { cfg.clock = c } }

// WithSeedingLogger sets the logger of the engine and of its keeper and
// auto-seeder (default slog.Default()).
func WithSeedingLogger(l *slog.Logger) SeedingOption { return func(cfg *seedingConfig) { cfg.log = l } }

// WithKeeperOptions configures the engine's quota keeper (WithQuota...).
func WithKeeperOptions(opts ...KeeperOption) SeedingOption {
	return func(cfg *seedingConfig) { cfg.keeper = append(cfg.keeper, opts...) }
}

// WithAutoSeedOptions configures the engine's auto-seeder (WithPrivate...).
// Whether it seeds comes from SeedingChoice.AutoSeed, not WithSeeding.
func WithAutoSeedOptions(opts ...AutoSeedOption) SeedingOption {
	return func(cfg *seedingConfig) { cfg.seeder = append(cfg.seeder, opts...) }
}

// OnSeedingFailure has f called once, on the engine's goroutine, when the
// engine stops on its own; f gets what Failure then returns.
func OnSeedingFailure(f func(error)) SeedingOption {
	return func(cfg *seedingConfig) { cfg.onFailure = f }
}

// Seeding is the seeding engine of a long-running holder of the repo (the
// window or the daemon): the quota keeper, the auto-seeder and the gate
// that applies the user's choice (caps, pause, seeding hours) to them and
// to the node, started and stopped as one.
//
//	s, err := library.NewSeeding(ctx, cat, store, seedNode, limiter,
//		library.WithKeeperOptions(library.WithQuota(q)), library.WithSeedingLogger(log))
//	s.Set(choice) // at once, before the first round; again on every change
//	err = s.Start(ctx)
//	defer s.Close()
//	if err := s.Failure(); err != nil { ... } // "seeding stopped: …"
//
// The keeper and the auto-seeder retry what fails on their own; when one
// of them gives up (the keeper after WithMaxEnforceFailures failed rounds
// in a row) the engine stops both, logs the cause at error level and
// keeps it for Failure. The node goes on serving what it holds, the caps
// and hours still apply; seeding resumes only with a new engine (a
// restart), since what failed that often is broken, not busy.
type Seeding struct {
	cfg    seedingConfig
	keeper *Keeper
	seeder *AutoSeeder
	gate   *seedGate
	log    *slog.Logger

	mu      sync.Mutex
	started bool
	closed  bool
	failure error
	cancel  context.CancelFunc
	running sync.WaitGroup
}

// NewSeeding builds the engine over cat, whose videos' blocks live in
// store and are fetched through node, and whose caps limiter sets. It
// does no I/O and starts nothing: Set the choice, then Start.
func NewSeeding(ctx context.Context, cat *Catalog, store Store, node SeedNode, limiter RateLimiter, opts ...SeedingOption) (*Seeding, error) {
	cfg := seedingConfig{clock: SystemClock{}, log: slog.Default()}
	for _, o := range opts {
		o(&cfg)
	}
	if limiter == nil || cfg.clock == nil {
		return nil, fmt.Errorf("library.NewSeeding: %w: nil rate limiter or clock", ErrInvalid)
	}
	keeper, err := NewKeeper(ctx, cat, store, append([]KeeperOption{WithKeeperLogger(cfg.log)}, cfg.keeper...)...)
	if err != nil {
		return nil, fmt.Errorf("library.NewSeeding: %w", err)
	}
	seeder, err := NewAutoSeeder(ctx, cat, keeper, node, append([]AutoSeedOption{WithAutoSeedLogger(cfg.log)}, cfg.seeder...)...)
	if err != nil {
		return nil, fmt.Errorf("library.NewSeeding: %w", err)
	}
	return &Seeding{cfg: cfg, keeper: keeper, seeder: seeder, log: cfg.log.With("component", "seeding"),
		gate: newSeedGate(limiter, seeder, cfg.clock, cfg.log)}, nil
}

// Set applies the user's choice at once (before Start too, so the first
// round already runs under it); new hours are followed from now.
func (s *Seeding) Set(c SeedingChoice) {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if !closed {
		s.gate.set(c)
	}
}

// Start runs the keeper and the auto-seeder until ctx ends or Close. A
// choice never Set is the zero one: no caps, always, auto-seeding off.
func (s *Seeding) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return fmt.Errorf("library.Seeding.Start: %w: closed", ErrInvalid)
	case s.started:
		return fmt.Errorf("library.Seeding.Start: %w: started twice", ErrInvalid)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("library.Seeding.Start: %w", err)
	}
	if !s.gate.started() {
		s.gate.set(SeedingChoice{})
	}
	s.started = true
	ctx, s.cancel = context.WithCancel(ctx)
	s.running.Add(2)
	go s.run(ctx, "quota keeper", s.keeper.Run)
	go s.run(ctx, "auto-seeding", s.seeder.Run)
	return nil
}

// run runs one part until ctx ends; a return before that is the engine's
// failure, which stops the other part too.
func (s *Seeding) run(ctx context.Context, part string, run func(context.Context) error) {
	defer s.running.Done()
	err := run(ctx)
	if ctx.Err() != nil {
		return // stopped, as asked
	}
	if err == nil {
		err = errors.New("returned early")
	}
	s.fail(fmt.Errorf("%w: %s: %w", ErrSeedingStopped, part, err))
}

func (s *Seeding) fail(err error) {
	s.mu.Lock()
	first := s.failure == nil
	if first {
		s.failure = err
		s.cancel()
	}
	s.mu.Unlock()
	if !first {
		return
	}
	s.log.Error("the seeding engine stopped; the node still serves what it holds", "err", err)
	if s.cfg.onFailure != nil {
		s.cfg.onFailure(err)
	}
}

// Failure is why the engine stopped on its own (wrapping
// ErrSeedingStopped); nil while it runs, before Start and after a Close
// that stopped it.
func (s *Seeding) Failure() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failure
}

// Close stops the engine and waits for it; the node's caps stay as they
// are. A failure is not returned again: Failure and the log have it.
func (s *Seeding) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	if s.cancel != nil {
		s.cancel()
	}
	s.mu.Unlock()
	s.running.Wait()
	s.gate.close()
	return nil
}

// Paused reports whether seeding is paused now, and whether the seeding
// hours are why.
func (s *Seeding) Paused() (paused, outsideHours bool) { return s.gate.paused() }

// Hours are the seeding hours in force.
func (s *Seeding) Hours() SeedHours { return s.gate.hours() }

// Keeper is the engine's quota keeper: for reservations, the quota and
// its state.
func (s *Seeding) Keeper() *Keeper { return s.keeper }

// AutoSeeder is the engine's auto-seeder: for its scores and rounds.
func (s *Seeding) AutoSeeder() *AutoSeeder { return s.seeder }
