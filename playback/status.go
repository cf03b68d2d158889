package playback

import (
	"errors"
	"slices"
)

// State is where a Player is in its life cycle.
type State int

const (
	// Idle: nothing loaded.
	Idle State = iota
	// Loading: Load was called and the first frame (or, without video, the
	// first audio) is not out yet.
	Loading
	// Buffering: playback waits for the demuxer cache to fill.
	Buffering
	// Playing: the playhead moves.
	Playing
	// Paused: paused by Pause.
	Paused
	// Ended: the playhead reached the end. The last frame stays up; Seek or
	// Play (which starts over) leaves this state.
	Ended
	// Error: the URL could not be played; Status.Err says why. Load leaves
	// this state.
	Error
)

var stateNames = [...]string{"idle", "loading", "buffering", "playing", "paused", "ended", "error"}

func (s State) String() string {
	if s < 0 || int(s) >= len(stateNames) {
		return "unknown"
	}
	return stateNames[s]
}

// Errors in Status.Err, wrapped with mpv's own description where it gave one.
// Callers branch on them with errors.Is to tell the user what went wrong.
var (
	// ErrNotVideo: the bytes are not a media file mpv can read (a text file,
	// random bytes, a truncated file whose header is missing).
	ErrNotVideo = errors.New("not a video")
	// ErrNoVideoStream: a media file without a video stream (audio only).
	// IPFS-Tube is a video player, so it stops rather than play sound alone.
	ErrNoVideoStream = errors.New("no video stream")
	// ErrTimeout: no bytes arrived within the network timeout.
	ErrTimeout = errors.New("network timeout")
	// ErrLoadFailed: the URL could not be opened (HTTP error, refused
	// connection, …).
	ErrLoadFailed = errors.New("loading failed")
	// ErrClosed is returned by methods called after Close.
	ErrClosed = errors.New("player closed")
)

// TrackType is the kind of a Track.
type TrackType string

const (
	VideoTrack    TrackType = "video"
	AudioTrack    TrackType = "audio"
	SubtitleTrack TrackType = "sub"
)

// Track is one stream of the loaded file, as mpv lists it.
type Track struct {
	// ID is mpv's number for the track within its type: the argument of
	// SelectAudio and SelectSubtitle.
	ID       int
	Type     TrackType
	Title    string
	Lang     string
	Codec    string
	Default  bool
	Selected bool
	External bool
	// Width and Height are a video track's size as the container declares
	// it (before aspect correction).
	Width, Height int
}

// Status is a snapshot of the player. Times are in seconds.
type Status struct {
	State State
	URL   string
	// Position is the playhead; Duration is 0 while unknown.
	Position float64
	Duration float64
	// CacheAhead is how many seconds past the playhead the demuxer cache
	// holds.
	CacheAhead float64
	// Width and Height are the video's display size (aspect applied), 0
	// until known.
	Width, Height int
	// Volume in percent (0–100).
	Volume float64
	// Tracks lists the loaded file's streams. The slice is shared between
	// snapshots: read it, do not modify it.
	Tracks []Track
	// SeekSeq counts seeks completed over the player's life (see
	// Frame.SeekSeq).
	SeekSeq uint64
	// Err is set in the Error state.
	Err error
}

// Track returns the track of type typ with mpv id id.
func (s Status) Track(typ TrackType, id int) (Track, bool) {
	i := slices.IndexFunc(s.Tracks, func(t Track) bool { return t.Type == typ && t.ID == id })
	if i < 0 {
		return Track{}, false
	}
	return s.Tracks[i], true
}

// sameStatus reports whether a and b would look the same to a consumer.
// Tracks and Err are replaced, never mutated, so identity is enough.
func sameStatus(a, b Status) bool {
	tracksSame := len(a.Tracks) == len(b.Tracks) && (len(a.Tracks) == 0 || &a.Tracks[0] == &b.Tracks[0])
	return tracksSame && a.Err == b.Err && a.State == b.State && a.URL == b.URL &&
		a.Position == b.Position && a.Duration == b.Duration && a.CacheAhead == b.CacheAhead &&
		a.Width == b.Width && a.Height == b.Height && a.Volume == b.Volume && a.SeekSeq == b.SeekSeq
}
