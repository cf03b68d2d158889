package publish

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/ipfs-tube/ipfs-tube/library"
)

// Errors for files that cannot be uploaded, each found before anything is
// imported. Callers branch on them with errors.Is; Message words them for
// people.
var (
	// ErrMissing: nothing at the path (or a link to nothing).
	ErrMissing = errors.New("file not found")
	// ErrFolder: the path is a folder.
	ErrFolder = errors.New("is a folder")
	// ErrEmpty: the file has 0 bytes.
	ErrEmpty = errors.New("file is empty")
	// ErrUnreadable: the file cannot be opened or read (permissions, a
	// symlink loop, a pipe or device rather than a file).
	ErrUnreadable = errors.New("file cannot be read")
	// ErrNotVideo: libmpv reads no video in it (text, a picture, sound
	// only, a damaged file).
	ErrNotVideo = errors.New("not a video")
)

// Errors a Prober wraps, with ErrNotVideo, to say why a file is not a
// video.
var (
	// ErrSoundOnly: the file has sound but no picture.
	ErrSoundOnly = errors.New("no video stream")
	// ErrStillImage: the file is a single picture.
	ErrStillImage = errors.New("a still image")
)

// Errors from Retitle.
var (
	ErrNoTitle      = errors.New("the title is empty")
	ErrTitleTooLong = errors.New("the title is too long")
	ErrNotPublished = errors.New("the video has no published directory")
)

// InputError is a file that cannot be uploaded; it wraps one of ErrMissing,
// ErrFolder, ErrEmpty, ErrUnreadable and ErrNotVideo.
type InputError struct {
	Path string
	Kind error  // the sentinel
	Why  string // a sentence for people, naming the file
	Err  error  // the underlying cause, if any
}

func (e *InputError) Error() string {
	s := fmt.Sprintf("upload.Upload %s: %v", e.Path, e.Kind)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap gives both the sentinel and the cause to errors.Is and errors.As.
func (e *InputError) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

func inputError(path string, kind error, cause error, format string, args ...any) *InputError {
	return &InputError{Path: path, Kind: kind, Err: cause, Why: fmt.Sprintf(format, args...)}
}

// Message words an upload or retitle error for the window: what is wrong
// and, where it helps, what to do.
func Message(err error) string {
	var in *InputError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &in):
		return in.Why
	case errors.Is(err, context.Canceled):
		return "Cancelled."
	case errors.Is(err, ErrNoTitle):
		return "A title can't be empty."
	case errors.Is(err, ErrTitleTooLong):
		return "That title is too long: keep it under a thousand characters."
	case errors.Is(err, ErrNotPublished):
		return "This video has no published folder to rename."
	case errors.Is(err, library.ErrQuota):
		return "Not enough room in the storage quota: your uploads and pinned videos alone would take more than it allows. Raise the quota on the Seeding page, or unpin videos."
	case errors.Is(err, library.ErrDiskFull):
		return "The disk is almost full: free some space and try again."
	}
	return "Something went wrong: " + err.Error()
}

// quoted names a file in a message the way desktop apps do.
func quoted(path string) string { return "“" + filepath.Base(path) + "”" }

// openChecked opens path for import after making sure it is a non-empty
// regular file this process can read. A pipe is refused before it is
// opened: opening one blocks until some writer appears.
func openChecked(path string) (*os.File, int64, error) {
	q := quoted(path)
	fi, err := os.Stat(path)
	if err != nil {
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if lfi, lerr := os.Lstat(path); lerr == nil && lfi.Mode()&fs.ModeSymlink != 0 {
				return nil, 0, inputError(path, ErrMissing, err, "%s is a shortcut to a file that is not there any more.", q)
			}
			return nil, 0, inputError(path, ErrMissing, err, "%s is not there any more: was it moved or deleted?", q)
		case errors.Is(err, syscall.ELOOP):
			return nil, 0, inputError(path, ErrUnreadable, err, "%s can't be read: it is a link that points back at itself.", q)
		case errors.Is(err, fs.ErrPermission):
			return nil, 0, inputError(path, ErrUnreadable, err, "%s can't be read: permission denied.", q)
		}
		return nil, 0, inputError(path, ErrUnreadable, err, "%s can't be read (%s).", q, osReason(err))
	}
	switch {
	case fi.IsDir():
		return nil, 0, inputError(path, ErrFolder, nil, "%s is a folder. Drop the video files inside it instead.", q)
	case !fi.Mode().IsRegular():
		return nil, 0, inputError(path, ErrUnreadable, nil, "%s is not a regular file (a pipe, socket or device).", q)
	case fi.Size() == 0:
		return nil, 0, inputError(path, ErrEmpty, nil, "%s is empty (0 bytes).", q)
	}
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return nil, 0, inputError(path, ErrUnreadable, err, "%s can't be read: permission denied.", q)
		}
		return nil, 0, inputError(path, ErrUnreadable, err, "%s can't be read (%s).", q, osReason(err))
	}
	// A file that opens may still fail on read (a broken disk, a
	// write-only device file): try one byte now rather than mid-import.
	var b [1]byte
	if _, err := f.ReadAt(b[:], 0); err != nil {
		f.Close()
		return nil, 0, inputError(path, ErrUnreadable, err, "%s can't be read (%s).", q, osReason(err))
	}
	return f, fi.Size(), nil
}

// osReason is the system's reason without the path it repeats.
func osReason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// probeError turns a Probe failure into an upload error: a file libmpv
// does not read as a video is the user's to fix; anything else (libmpv
// missing, a timeout) is reported as it is.
func probeError(ctx context.Context, path string, err error) error {
	q := quoted(path)
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("upload.Upload %s: %w", path, ctx.Err())
	case errors.Is(err, ErrSoundOnly):
		return inputError(path, ErrNotVideo, err, "%s has sound but no picture: only videos can be published.", q)
	case errors.Is(err, ErrStillImage):
		return inputError(path, ErrNotVideo, err, "%s is a picture, not a video.", q)
	case errors.Is(err, ErrNotVideo):
		return inputError(path, ErrNotVideo, err, "%s is not a video file (or it is damaged).", q)
	}
	return fmt.Errorf("upload.Upload %s: reading the video: %w", path, err)
}
