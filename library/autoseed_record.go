package library

import (
	"encoding/json"
	"maps"
	"time"
)

// autoSeededAtField is the record field holding when the AutoSeeder began
// keeping a video. It travels in the record's extra fields (not a Video
// field): builds that predate auto-seeding write it back untouched, and it
// means nothing without the AutoSeeded keep reason.
const autoSeededAtField = "auto_seeded_at"

// AutoSeededAt returns when the AutoSeeder began keeping the video (the
// start of its minimum keep time); zero when it never did or the time was
// lost.
func (v Video) AutoSeededAt() time.Time {
	raw, ok := v.extra[autoSeededAtField]
	if !ok {
		return time.Time{}
	}
	var t time.Time
	if err := json.Unmarshal(raw, &t); err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// setAutoSeededAt records t (zero removes it). The extra map is copied
// first: Videos handed out share it.
func (v *Video) setAutoSeededAt(t time.Time) {
	extra := maps.Clone(v.extra)
	if t.IsZero() {
		delete(extra, autoSeededAtField)
	} else {
		b, err := json.Marshal(t.UTC().Round(0))
		if err != nil {
			return // a time.Time always marshals
		}
		if extra == nil {
			extra = map[string]json.RawMessage{}
		}
		extra[autoSeededAtField] = b
	}
	if len(extra) == 0 {
		extra = nil
	}
	v.extra = extra
}
