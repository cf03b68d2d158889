// Package testvideo makes real video files for tests and benchmarks with the
// ffmpeg binary, and decodes reference frames from them, so that playback,
// node and app tests exercise real containers and codecs instead of fixtures
// checked into the repository.
//
// Videos are generated once per parameter set and cached under
// os.UserCacheDir()/ipfs-tube/testvideo (written to a temporary file and
// renamed, so a killed run never leaves a half-written video behind).
// Every video shows a moving test pattern with a visible clock (ffmpeg's
// testsrc2), so frames at different times differ, has a keyframe every second
// and carries audio unless it is audio only.
//
// # Usage
//
//	path := testvideo.Make(t, testvideo.Spec{Container: "webm", Duration: 10 * time.Second})
//	url := testvideo.Serve(t, path) // http://127.0.0.1:PORT/NAME, Range requests work
//	want := testvideo.FrameAt(t, path, 8*time.Second, 640, 360)
//	if db := testvideo.PSNR(got, want); db < 30 {
//		t.Errorf("frame at 8s: PSNR %.1f dB", db)
//	}
//
// H.264 (libx264) with AAC goes into mp4, VP9 (libvpx-vp9) with Opus into
// webm. Colours are BT.709 limited range and tagged as such, so a player that
// honours the tags and ffmpeg's own RGB conversion agree at every size.
package testvideo

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// formatVersion is part of every cache key: bump it when the ffmpeg command
// line changes, so stale cached videos are not reused.
const formatVersion = "v2"

// Spec describes a test video. The zero value is a 10 s, 640×360, 30 fps
// H.264/AAC mp4 with its index at the end.
type Spec struct {
	// Container is "mp4" (H.264 + AAC, the default) or "webm" (VP9 + Opus).
	Container string
	// Width and Height default to 640×360.
	Width, Height int
	// FPS defaults to 30; there is a keyframe every FPS frames (every second).
	FPS int
	// Duration defaults to 10 s.
	Duration time.Duration
	// FastStart puts an mp4's index (moov) before the media data. The default
	// is ffmpeg's: index at the end, which a streaming player must fetch with
	// a Range request before it can start.
	FastStart bool
	// VideoBitrate, for example "60M", encodes at that constant bitrate
	// (padded if the picture needs less) to reach a target file size.
	// Empty lets the encoder pick (small files).
	VideoBitrate string
	// AudioTracks is the number of audio tracks, 1 when zero. Track i plays a
	// different tone and is tagged with a different language (eng, fra, deu…).
	AudioTracks int
	// Subtitles adds one subtitle track (language eng) with a cue per second
	// reading "subtitle N".
	Subtitles bool
	// AudioOnly leaves out the video stream.
	AudioOnly bool
}

var trackLanguages = []string{"eng", "fra", "deu", "spa", "ita", "jpn"}

func (s Spec) withDefaults() Spec {
	if s.Container == "" {
		s.Container = "mp4"
	}
	if s.Width == 0 {
		s.Width = 640
	}
	if s.Height == 0 {
		s.Height = 360
	}
	if s.FPS == 0 {
		s.FPS = 30
	}
	if s.Duration == 0 {
		s.Duration = 10 * time.Second
	}
	if s.AudioTracks == 0 {
		s.AudioTracks = 1
	}
	return s
}

func (s Spec) validate() error {
	switch s.Container {
	case "mp4", "webm":
	default:
		return fmt.Errorf("container %q: want mp4 or webm", s.Container)
	}
	if s.Width <= 0 || s.Height <= 0 || s.Width%2 != 0 || s.Height%2 != 0 {
		return fmt.Errorf("size %dx%d: want positive even numbers (yuv420p)", s.Width, s.Height)
	}
	if s.FPS <= 0 || s.Duration <= 0 {
		return fmt.Errorf("fps %d, duration %v: want both positive", s.FPS, s.Duration)
	}
	if s.AudioTracks < 1 || s.AudioTracks > len(trackLanguages) {
		return fmt.Errorf("%d audio tracks: want 1..%d", s.AudioTracks, len(trackLanguages))
	}
	return nil
}

// Name is a readable file name unique to the spec, used as the cache key.
func (s Spec) Name() string {
	s = s.withDefaults()
	key := sha256.Sum256([]byte(fmt.Sprintf("%s|%#v", formatVersion, s)))
	var b strings.Builder
	secs := strconv.FormatFloat(s.Duration.Seconds(), 'f', -1, 64) + "s"
	if s.AudioOnly {
		fmt.Fprintf(&b, "audio-%s", secs)
	} else {
		fmt.Fprintf(&b, "%dx%d-%dfps-%s", s.Width, s.Height, s.FPS, secs)
	}
	if s.FastStart {
		b.WriteString("-faststart")
	}
	if s.VideoBitrate != "" {
		b.WriteString("-" + s.VideoBitrate)
	}
	fmt.Fprintf(&b, "-%s.%s", hex.EncodeToString(key[:4]), s.Container)
	return b.String()
}

// ffmpegArgs builds the command line that writes the video to out.
func (s Spec) ffmpegArgs(out, subtitleFile string) []string {
	secs := strconv.FormatFloat(s.Duration.Seconds(), 'f', -1, 64)
	args := []string{"-hide_banner", "-loglevel", "error", "-nostdin", "-y"}
	var maps []string
	input := 0
	if !s.AudioOnly {
		args = append(args, "-f", "lavfi", "-i",
			fmt.Sprintf("testsrc2=size=%dx%d:rate=%d:duration=%s", s.Width, s.Height, s.FPS, secs))
		maps = append(maps, "-map", "0:v")
		input++
	}
	for i := 0; i < s.AudioTracks; i++ {
		args = append(args, "-f", "lavfi", "-i",
			fmt.Sprintf("sine=frequency=%d:sample_rate=48000:duration=%s", 440+220*i, secs))
		maps = append(maps, "-map", fmt.Sprintf("%d:a", input))
		input++
	}
	if subtitleFile != "" {
		args = append(args, "-i", subtitleFile)
		maps = append(maps, "-map", fmt.Sprintf("%d:s", input))
	}
	args = append(args, maps...)
	if !s.AudioOnly {
		gop := strconv.Itoa(s.FPS)
		switch s.Container {
		case "mp4":
			args = append(args, "-c:v", "libx264", "-preset", "ultrafast",
				"-g", gop, "-keyint_min", gop, "-sc_threshold", "0")
			if s.VideoBitrate != "" {
				// nal-hrd=cbr makes x264 pad with filler data, so the size is
				// reached even though the test pattern compresses well.
				args = append(args, "-b:v", s.VideoBitrate, "-minrate", s.VideoBitrate,
					"-maxrate", s.VideoBitrate, "-bufsize", s.VideoBitrate, "-x264-params", "nal-hrd=cbr")
			}
		case "webm":
			args = append(args, "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8",
				"-g", gop, "-keyint_min", gop, "-row-mt", "1")
			if s.VideoBitrate != "" {
				args = append(args, "-b:v", s.VideoBitrate, "-minrate", s.VideoBitrate, "-maxrate", s.VideoBitrate)
			}
		}
		// BT.709 throughout: players that convert primaries (mpv does) then
		// have nothing to convert, and ffmpeg's RGB conversion reads the tag.
		args = append(args, "-vf", "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p",
			"-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv")
	}
	switch s.Container {
	case "mp4":
		args = append(args, "-c:a", "aac", "-b:a", "64k")
		if subtitleFile != "" {
			args = append(args, "-c:s", "mov_text")
		}
		if s.FastStart {
			args = append(args, "-movflags", "+faststart")
		}
	case "webm":
		args = append(args, "-c:a", "libopus", "-b:a", "64k")
		if subtitleFile != "" {
			args = append(args, "-c:s", "webvtt")
		}
	}
	for i := 0; i < s.AudioTracks; i++ {
		args = append(args, fmt.Sprintf("-metadata:s:a:%d", i), "language="+trackLanguages[i],
			fmt.Sprintf("-metadata:s:a:%d", i), fmt.Sprintf("title=Tone %d Hz", 440+220*i))
	}
	if subtitleFile != "" {
		args = append(args, "-metadata:s:s:0", "language=eng")
	}
	// The explicit format lets ffmpeg write to a temporary name.
	return append(args, "-t", secs, "-f", s.Container, out)
}

// subtitleSRT is one cue per second over the whole duration.
func subtitleSRT(d time.Duration) string {
	var b strings.Builder
	stamp := func(t time.Duration) string {
		ms := t.Milliseconds()
		return fmt.Sprintf("%02d:%02d:%02d,%03d", ms/3600000, ms/60000%60, ms/1000%60, ms%1000)
	}
	for i := 0; time.Duration(i)*time.Second < d; i++ {
		start := time.Duration(i) * time.Second
		end := min(start+time.Second, d)
		fmt.Fprintf(&b, "%d\n%s --> %s\nsubtitle %d\n\n", i+1, stamp(start), stamp(end), i+1)
	}
	return b.String()
}

// CacheDir is where generated videos are kept between test runs.
func CacheDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		// No home directory (some CI sandboxes): still cache within the machine.
		base = os.TempDir()
	}
	dir := filepath.Join(base, "ipfs-tube", "testvideo")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	return dir, nil
}

// inProcess makes parallel tests in one binary that want the same video wait
// for one ffmpeg run instead of each starting their own. Separate test
// binaries may still race; the atomic rename makes that harmless.
var (
	inProcessMu sync.Mutex
	inProcess   = map[string]*sync.Mutex{}
)

func lockName(name string) func() {
	inProcessMu.Lock()
	mu := inProcess[name]
	if mu == nil {
		mu = new(sync.Mutex)
		inProcess[name] = mu
	}
	inProcessMu.Unlock()
	mu.Lock()
	return mu.Unlock
}

// Make returns the path of a video matching s, generating it with ffmpeg on
// first use. It fails the test with ffmpeg's error output if that fails.
func Make(t testing.TB, s Spec) string {
	t.Helper()
	path, err := make1(s)
	if err != nil {
		t.Fatalf("testvideo.Make: %v", err)
	}
	return path
}

func make1(s Spec) (string, error) {
	s = s.withDefaults()
	if err := s.validate(); err != nil {
		return "", err
	}
	dir, err := CacheDir()
	if err != nil {
		return "", err
	}
	name := s.Name()
	path := filepath.Join(dir, name)
	defer lockName(name)()
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	tmp, err := os.CreateTemp(dir, name+".*.tmp")
	if err != nil {
		return "", err
	}
	tmp.Close()
	defer os.Remove(tmp.Name()) // after a successful rename this is a no-op
	var subs string
	if s.Subtitles {
		subs = tmp.Name() + ".srt"
		if err := os.WriteFile(subs, []byte(subtitleSRT(s.Duration)), 0o644); err != nil {
			return "", err
		}
		defer os.Remove(subs)
	}
	if err := runFFmpeg(s.ffmpegArgs(tmp.Name(), subs)...); err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	// CreateTemp makes files private; these are shared test fixtures.
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return "", err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", err
	}
	return path, nil
}

// MakeTruncated returns a copy of the video for s cut after the given
// fraction (0..1) of its bytes, as a download that stopped part way leaves
// it. For an mp4 with the index at the end (FastStart false) the index is
// gone, so no player can know the stream layout.
func MakeTruncated(t testing.TB, s Spec, fraction float64) string {
	t.Helper()
	if fraction <= 0 || fraction >= 1 {
		t.Fatalf("testvideo.MakeTruncated: fraction %v: want 0 < fraction < 1", fraction)
	}
	full := Make(t, s)
	name := strings.TrimSuffix(filepath.Base(full), filepath.Ext(full))
	path := filepath.Join(filepath.Dir(full),
		fmt.Sprintf("%s-cut%s%s", name, strconv.FormatFloat(fraction, 'f', -1, 64), filepath.Ext(full)))
	defer lockName(path)()
	if _, err := os.Stat(path); err == nil {
		return path
	}
	if err := writeTruncated(full, path, fraction); err != nil {
		t.Fatalf("testvideo.MakeTruncated: %v", err)
	}
	return path
}

func writeTruncated(from, to string, fraction float64) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	info, err := src.Stat()
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(to), filepath.Base(to)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.CopyN(tmp, src, int64(float64(info.Size())*fraction)); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), to)
}

// FrameAt returns ffmpeg's own decode of the frame shown at time at (the
// first frame whose timestamp is at or after it, which is where an exact seek
// lands), converted to RGBA and scaled to w×h. It is the reference a player's
// frame is compared with.
func FrameAt(t testing.TB, path string, at time.Duration, w, h int) *image.RGBA {
	t.Helper()
	img, err := frameAt(path, at, w, h)
	if err != nil {
		t.Fatalf("testvideo.FrameAt(%s, %v): %v", filepath.Base(path), at, err)
	}
	return img
}

func frameAt(path string, at time.Duration, w, h int) (*image.RGBA, error) {
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("size %dx%d", w, h)
	}
	// -ss before -i with -accurate_seek jumps to the keyframe before the
	// target and decodes up to it, so this stays fast for long files while
	// still returning the exact frame.
	cmd := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin",
		"-accurate_seek", "-ss", strconv.FormatFloat(at.Seconds(), 'f', 6, 64), "-i", path,
		"-map", "0:v:0", "-frames:v", "1",
		// Chroma sited left (MPEG-2 style), as mpv assumes when a stream does
		// not say, and full-precision chroma: otherwise the two decodes of
		// the test pattern's hard colour edges differ by more than the
		// difference between frames.
		"-vf", fmt.Sprintf("scale=%d:%d:flags=bicubic+full_chroma_int+accurate_rnd:in_h_chr_pos=0:in_v_chr_pos=128", w, h),
		"-f", "rawvideo", "-pix_fmt", "rgba", "-")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("ffmpeg: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	if stdout.Len() != w*h*4 {
		return nil, fmt.Errorf("ffmpeg returned %d bytes, want %d (is %v past the end?): %s",
			stdout.Len(), w*h*4, at, strings.TrimSpace(stderr.String()))
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	copy(img.Pix, stdout.Bytes())
	return img, nil
}

// PSNR is the peak signal-to-noise ratio of b against a over the R, G and B
// channels, in dB: +Inf for identical pictures, about 30 dB and above for
// the same frame decoded and scaled by different code, around 10 dB for
// unrelated pictures. Pictures of different sizes give 0.
func PSNR(a, b *image.RGBA) float64 {
	if a == nil || b == nil || a.Rect.Dx() != b.Rect.Dx() || a.Rect.Dy() != b.Rect.Dy() {
		return 0
	}
	w, h := a.Rect.Dx(), a.Rect.Dy()
	var sum float64
	for y := 0; y < h; y++ {
		ra := a.Pix[y*a.Stride : y*a.Stride+w*4]
		rb := b.Pix[y*b.Stride : y*b.Stride+w*4]
		for i := 0; i < len(ra); i += 4 {
			for c := 0; c < 3; c++ {
				d := float64(ra[i+c]) - float64(rb[i+c])
				sum += d * d
			}
		}
	}
	if sum == 0 {
		return math.Inf(1)
	}
	mse := sum / float64(w*h*3)
	return 10 * math.Log10(255*255/mse)
}

// Serve serves the file at path over HTTP on 127.0.0.1 (with Range support,
// as a gateway does) until the test ends, and returns its URL.
func Serve(t testing.TB, path string) string {
	t.Helper()
	name := "/" + filepath.Base(path)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != name {
			http.NotFound(w, r)
			return
		}
		http.ServeFile(w, r, path)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + name
}

func runFFmpeg(args ...string) error {
	cmd := exec.Command("ffmpeg", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if _, lookErr := exec.LookPath("ffmpeg"); lookErr != nil {
			return fmt.Errorf("ffmpeg not found (make deps installs it): %w", lookErr)
		}
		return fmt.Errorf("ffmpeg %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return nil
}
