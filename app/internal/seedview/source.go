package seedview

import (
	"context"

	"github.com/ipfs/go-cid"

	"github.com/ipfs-tube/ipfs-tube/app/internal/settings"
)

// Why a video is seeded, as Entry.Reason says it.
const (
	ReasonUpload  = "your upload"
	ReasonPinned  = "pinned"
	ReasonPopular = "popular"
)

// Entry is one seeded video.
type Entry struct {
	Video       cid.Cid
	Title       string // "" shows the CID
	Reason      string // ReasonUpload, ReasonPinned, ReasonPopular, or the engine's own words
	Size        int64  // bytes stored
	BytesServed int64  // bytes uploaded to peers from this video since it was seeded
}

// Source is what the seeding engine reports. Used and Seeded may touch the
// disk, so they take a ctx and are called off the UI thread.
type Source interface {
	// Used is how many bytes seeding and the watch cache take on disk.
	Used(ctx context.Context) (int64, error)
	// Seeded lists what is kept for others.
	Seeded(ctx context.Context) ([]Entry, error)
	// BytesUploaded is a running total of bytes sent to peers; it may
	// restart from zero when the engine does.
	BytesUploaded() int64
}

// Engine applies the user's limits to the running seeding engine.
type Engine interface {
	SetQuota(ctx context.Context, bytes int64) error
	SetUploadCap(ctx context.Context, bytesPerSecond int64) error   // 0 is unlimited
	SetDownloadCap(ctx context.Context, bytesPerSecond int64) error // seeding fetches; 0 is unlimited
	SetPaused(ctx context.Context, paused bool) error
	// SetSeedHours sets when seeding runs: "" (always) or "HH:MM-HH:MM"
	// (library.ParseSeedHours).
	SetSeedHours(ctx context.Context, hours string) error
}

// Store persists the limits; *settings.Store satisfies it.
type Store interface {
	Load() (settings.Settings, error)
	Update(change func(*settings.Settings) error) (settings.Settings, error)
}

var _ Store = (*settings.Store)(nil)
