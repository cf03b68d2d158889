package library

// Reason is the one reason a video is kept, as every view says it: the
// strongest of its keep bits, by the precedence in the package doc ("Why a
// video is kept"). The Library, the Seeding page and `ipfs-tube seeding`
// all take it from Video.Reason, so they cannot disagree.
type Reason int

const (
	// ReasonNone: not kept; nothing of it is on this machine.
	ReasonNone Reason = iota
	// ReasonCache: blocks left from watching, evicted first when space
	// runs out.
	ReasonCache
	// ReasonAutoSeeded: the AutoSeeder keeps it because the network needs
	// it.
	ReasonAutoSeeded
	// ReasonPinned: the user asked to keep it. A recursive pin the catalog
	// does not know (made with `ipfs-tube add` or `pin add`) is this too.
	ReasonPinned
	// ReasonOwn: the user published it from this machine.
	ReasonOwn
)

// String is the reason's stable name, as `ipfs-tube seeding --json`
// prints it: "own", "pinned", "auto-seeded", "cache", or "none".
func (r Reason) String() string {
	switch r {
	case ReasonOwn:
		return "own"
	case ReasonPinned:
		return "pinned"
	case ReasonAutoSeeded:
		return "auto-seeded"
	case ReasonCache:
		return "cache"
	}
	return "none"
}

// Seeded reports whether the video is kept on purpose, for others: an own
// upload, a pin or an auto-seeded video stays on disk and is served, where
// a cached one goes when space runs out.
func (r Reason) Seeded() bool { return r >= ReasonAutoSeeded }

// Reason is why v is kept: its strongest keep bit (own upload, then pin,
// then auto-seeded), else cache while any of it is on disk, whether or
// not the Cache bit is set, else none.
func (v Video) Reason() Reason {
	switch {
	case v.Kept.Has(OwnUpload):
		return ReasonOwn
	case v.Kept.Has(Pinned):
		return ReasonPinned
	case v.Kept.Has(AutoSeeded):
		return ReasonAutoSeeded
	case v.BytesLocal > 0:
		return ReasonCache
	}
	return ReasonNone
}
