package playback

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ipfs-tube/ipfs-tube/internal/testvideo"
)

// probeWait bounds a probe in tests: generous for a busy machine.
const probeWait = 30 * time.Second

func probeCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), probeWait)
	t.Cleanup(cancel)
	return ctx
}

// checkPoster compares the poster with ffmpeg's decode of the same moment
// at the poster's size.
func checkPoster(t *testing.T, path string, info Info) {
	t.Helper()
	if info.Poster == nil {
		t.Fatal("no poster")
	}
	w, h := info.Poster.Rect.Dx(), info.Poster.Rect.Dy()
	want := testvideo.FrameAt(t, path, info.PosterAt, w, h)
	if db := testvideo.PSNR(info.Poster, want); db < 30 {
		savePNGs(t, info.Poster, want)
		t.Errorf("poster at %v: PSNR %.1f dB against ffmpeg's frame, want ≥ 30", info.PosterAt, db)
	}
	// A frame half a second away must not match as well: the comparison
	// tells frames apart.
	other := info.PosterAt + 500*time.Millisecond
	if info.PosterAt >= 500*time.Millisecond {
		other = info.PosterAt - 500*time.Millisecond
	}
	if db := testvideo.PSNR(info.Poster, testvideo.FrameAt(t, path, other, w, h)); db >= 30 {
		t.Errorf("poster matches the frame at %v too (PSNR %.1f dB): comparison cannot tell frames apart", other, db)
	}
}

func TestProbeFormats(t *testing.T) {
	for _, tc := range []struct {
		name         string
		spec         testvideo.Spec
		container    string // substring of Info.Container
		video, audio string
		mime         string
		posterW      int
		posterH      int
		posterAt     time.Duration
	}{
		{"mp4-index-at-end", testvideo.Spec{}, "mp4", "h264", "aac", "video/mp4", 640, 360, time.Second},
		{"mp4-faststart", testvideo.Spec{FastStart: true, Duration: 20 * time.Second}, "mp4", "h264", "aac", "video/mp4", 640, 360, 2 * time.Second},
		{"webm", testvideo.Spec{Container: "webm", Subtitles: true, AudioTracks: 2}, "", "vp9", "opus", "video/webm", 640, 360, time.Second},
		{"1080p", testvideo.Spec{Width: 1920, Height: 1080, Duration: 6 * time.Second}, "mp4", "h264", "aac", "video/mp4", 1280, 720, time.Second},
		{"short", testvideo.Spec{Duration: 1500 * time.Millisecond}, "mp4", "h264", "aac", "video/mp4", 640, 360, 750 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := testvideo.Make(t, tc.spec)
			// Once to warm the file cache and mpv's libraries, then timed.
			if _, err := Probe(probeCtx(t), path); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			info, err := Probe(probeCtx(t), path)
			took := time.Since(start)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: probed in %v: %+v", tc.name, took.Round(time.Millisecond),
				Info{Duration: info.Duration, Width: info.Width, Height: info.Height, Container: info.Container,
					VideoCodec: info.VideoCodec, AudioCodec: info.AudioCodec, AudioTracks: info.AudioTracks,
					SubtitleTracks: info.SubtitleTracks, PosterAt: info.PosterAt})
			spec := tc.spec
			wantDur := spec.Duration
			if wantDur == 0 {
				wantDur = 10 * time.Second
			}
			wantW, wantH := max(spec.Width, 640), max(spec.Height, 360)
			wantAudio := max(spec.AudioTracks, 1)
			wantSubs := 0
			if spec.Subtitles {
				wantSubs = 1
			}
			if d := info.Duration - wantDur; d < -100*time.Millisecond || d > 100*time.Millisecond {
				t.Errorf("duration %v, want %v", info.Duration, wantDur)
			}
			if info.Width != wantW || info.Height != wantH {
				t.Errorf("size %dx%d, want %dx%d", info.Width, info.Height, wantW, wantH)
			}
			if !strings.Contains(info.Container, tc.container) || info.Container == "" {
				t.Errorf("container %q, want one naming %q", info.Container, tc.container)
			}
			if info.VideoCodec != tc.video || info.AudioCodec != tc.audio || info.MIME() != tc.mime {
				t.Errorf("codecs %q/%q, MIME %q; want %q/%q, %q", info.VideoCodec, info.AudioCodec, info.MIME(), tc.video, tc.audio, tc.mime)
			}
			if info.AudioTracks != wantAudio || info.SubtitleTracks != wantSubs {
				t.Errorf("%d audio, %d subtitle tracks; want %d, %d", info.AudioTracks, info.SubtitleTracks, wantAudio, wantSubs)
			}
			if d := info.PosterAt - tc.posterAt; d < 0 || d > 40*time.Millisecond {
				t.Errorf("poster at %v, want the frame at %v", info.PosterAt, tc.posterAt)
			}
			if got := info.Poster.Rect.Size(); got != image.Pt(tc.posterW, tc.posterH) {
				t.Errorf("poster %v, want %dx%d", got, tc.posterW, tc.posterH)
			}
			checkPoster(t, path, info)
			// Generous for a busy machine and -race; the figure is logged.
			if limit := 3 * time.Second; took > limit {
				t.Errorf("probe took %v, want under %v", took, limit)
			}
		})
	}
}

// makeFadeIn writes a video that is black for its first blackFor, then the
// test pattern: a poster at 10 % would be black.
func makeFadeIn(t *testing.T, blackFor, total time.Duration) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fade-in.mp4")
	secs := func(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) }
	cmd := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
		"-f", "lavfi", "-i", "color=c=black:size=640x360:rate=30:duration="+secs(blackFor),
		"-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30:duration="+secs(total-blackFor),
		"-filter_complex", "[0:v][1:v]concat=n=2:v=1:a=0,scale=out_color_matrix=bt709:out_range=tv,format=yuv420p[v]",
		"-map", "[v]", "-c:v", "libx264", "-preset", "ultrafast", "-g", "30",
		"-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv",
		path)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, out)
	}
	return path
}

func TestProbeSkipsBlackFrames(t *testing.T) {
	path := makeFadeIn(t, 4*time.Second, 10*time.Second)
	// The first candidates (1 s, then 3 s) are black; the third is not.
	info, err := Probe(probeCtx(t), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("poster at %v", info.PosterAt)
	if info.PosterAt < 4*time.Second || info.PosterAt > 7500*time.Millisecond {
		t.Errorf("poster at %v, want past the black start (4 s) and before 3/4 of the video", info.PosterAt)
	}
	if f := brightFraction(info.Poster); f < minBrightFraction {
		t.Errorf("poster is black (%.3f bright)", f)
	}
	checkPoster(t, path, info)

	// All black: the probe still succeeds, with a dark poster.
	allBlack := makeFadeIn(t, 9900*time.Millisecond, 10*time.Second)
	info, err = Probe(probeCtx(t), allBlack, WithPosterAt(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if info.Poster == nil || info.PosterAt < 2*time.Second || brightFraction(info.Poster) >= minBrightFraction {
		t.Errorf("black video: poster at %v, bright %.3f", info.PosterAt, brightFraction(info.Poster))
	}
}

func TestProbeOptions(t *testing.T) {
	path := testvideo.Make(t, testvideo.Spec{})
	info, err := Probe(probeCtx(t), path, WithPosterAt(7*time.Second), WithPosterWidth(320))
	if err != nil {
		t.Fatal(err)
	}
	if info.PosterAt != 7*time.Second || info.Poster.Rect.Size() != image.Pt(320, 180) {
		t.Errorf("poster %v at %v, want 320x180 at 7s", info.Poster.Rect.Size(), info.PosterAt)
	}
	checkPoster(t, path, info)
	// Served over HTTP, as the node's gateway serves it.
	info, err = Probe(probeCtx(t), testvideo.Serve(t, path))
	if err != nil {
		t.Fatal(err)
	}
	if info.Duration < 9900*time.Millisecond || info.PosterAt != time.Second {
		t.Errorf("over HTTP: duration %v, poster at %v", info.Duration, info.PosterAt)
	}
	for _, opts := range [][]ProbeOption{{WithPosterWidth(0)}, {WithProbeTimeout(-1)}, {WithPosterAt(-time.Second)}} {
		if _, err := Probe(probeCtx(t), path, opts...); err == nil {
			t.Errorf("bad option accepted")
		}
	}
	if _, err := Probe(probeCtx(t), ""); err == nil {
		t.Error("empty URL accepted")
	}
}

func TestProbeBadInputs(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	random := make([]byte, 1<<20)
	rand.Read(random)
	var text []byte
	for i := 0; i < 2000; i++ {
		text = append(text, fmt.Sprintf("line %d of a plain text file, not a video\n", i)...)
	}
	var pngBuf bytes.Buffer
	if err := png.Encode(&pngBuf, testvideo.FrameAt(t, testvideo.Make(t, testvideo.Spec{}), time.Second, 320, 180)); err != nil {
		t.Fatal(err)
	}
	folder := filepath.Join(dir, "folder")
	if err := os.Mkdir(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	write("folder/a.mp4", random[:1000])
	for _, tc := range []struct {
		name string
		path string
		want error
	}{
		{"zero-bytes", write("empty.mp4", nil), ErrNotVideo},
		{"random-bytes", write("random.mp4", random), ErrNotVideo},
		{"text", write("notes.txt", text), ErrNotVideo},
		{"playlist", write("list.m3u", []byte("#EXTM3U\n"+testvideo.Make(t, testvideo.Spec{})+"\n")), ErrNotVideo},
		{"still-image", write("poster.png", pngBuf.Bytes()), ErrNotVideo},
		{"folder", folder, ErrNotVideo},
		{"unreadable", unreadable(t, write("locked.mp4", random)), ErrLoadFailed},
		{"missing", filepath.Join(dir, "nothing-here.mp4"), ErrLoadFailed},
		{"audio-only", testvideo.Make(t, testvideo.Spec{AudioOnly: true, Duration: 3 * time.Second}), ErrNoVideoStream},
		{"truncated-index-at-end", testvideo.MakeTruncated(t, testvideo.Spec{Duration: 6 * time.Second}, 0.5), ErrNotVideo},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.path == "" {
				t.Skip("permissions do not stop this user reading (root)")
			}
			start := time.Now()
			info, err := Probe(probeCtx(t), tc.path)
			t.Logf("after %v: %v", time.Since(start).Round(time.Millisecond), err)
			if !errors.Is(err, tc.want) {
				t.Errorf("err %v, want %v", err, tc.want)
			}
			if info.Poster != nil || info.Duration != 0 {
				t.Errorf("failed probe returned %+v", info)
			}
		})
	}

	// A file cut short with its index first still gives a poster from the
	// part that is there.
	t.Run("truncated-faststart", func(t *testing.T) {
		path := testvideo.MakeTruncated(t, testvideo.Spec{Duration: 10 * time.Second, FastStart: true}, 0.5)
		info, err := Probe(probeCtx(t), path)
		if err != nil {
			t.Fatal(err)
		}
		if info.PosterAt != time.Second {
			t.Errorf("poster at %v, want 1s", info.PosterAt)
		}
		checkPoster(t, path, info)
	})
}

// silentTimeout: a URL whose server never answers ends at the context's
// deadline with ErrTimeout, and leaves nothing running.
func TestProbeTimeout(t *testing.T) {
	url := silentServer(t)
	before := runtime.NumGoroutine()
	for _, tc := range []struct {
		name string
		opts []ProbeOption
		ctx  func() (context.Context, context.CancelFunc)
	}{
		{"context-deadline", nil, func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 2*time.Second)
		}},
		{"probe-timeout", []ProbeOption{WithProbeTimeout(2 * time.Second)}, func() (context.Context, context.CancelFunc) {
			return context.Background(), func() {}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := tc.ctx()
			defer cancel()
			start := time.Now()
			_, err := Probe(ctx, url, tc.opts...)
			took := time.Since(start)
			t.Logf("after %v: %v", took.Round(time.Millisecond), err)
			if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("err %v, want ErrTimeout and context.DeadlineExceeded", err)
			}
			if took < 1900*time.Millisecond || took > 10*time.Second {
				t.Errorf("gave up after %v, want about 2 s", took)
			}
		})
	}
	// Cancelled rather than timed out: the context's error alone.
	ctx, cancel := context.WithCancel(context.Background())
	stop := time.AfterFunc(300*time.Millisecond, cancel)
	defer stop.Stop()
	if _, err := Probe(ctx, url); !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) {
		t.Errorf("cancelled probe: %v, want context.Canceled", err)
	}
	waitGoroutines(t, before+1) // the silent server's accept loop may still run
}

func waitGoroutines(t *testing.T, atMost int) {
	t.Helper()
	deadline := time.After(probeWait)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for runtime.NumGoroutine() > atMost {
		select {
		case <-deadline:
			buf := make([]byte, 1<<20)
			t.Fatalf("goroutines: %d, want at most %d\n%s", runtime.NumGoroutine(), atMost, buf[:runtime.Stack(buf, true)])
		case <-tick.C:
		}
	}
}

// osThreads reads the process's thread count: mpv's cores run on threads
// of their own, which a leaked core would keep.
func osThreads(t *testing.T) int {
	t.Helper()
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status:", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "Threads:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Skip("no thread count in /proc/self/status")
	return 0
}

func TestProbeLeavesNothingBehind(t *testing.T) {
	path := testvideo.Make(t, testvideo.Spec{Container: "webm"})
	bad := filepath.Join(t.TempDir(), "bad.mp4")
	if err := os.WriteFile(bad, []byte("not a video"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Warm up: Go's runtime keeps some threads once made.
	if _, err := Probe(probeCtx(t), path); err != nil {
		t.Fatal(err)
	}
	goroutines, threads := runtime.NumGoroutine(), osThreads(t)
	const rounds = 8
	for i := 0; i < rounds; i++ {
		if _, err := Probe(probeCtx(t), path); err != nil {
			t.Fatal(err)
		}
		if _, err := Probe(probeCtx(t), bad); !errors.Is(err, ErrNotVideo) {
			t.Fatalf("bad file: %v", err)
		}
	}
	waitGoroutines(t, goroutines)
	// One leaked core holds a dozen threads or more; allow a few runtime
	// threads.
	if after := osThreads(t); after > threads+6 {
		t.Errorf("threads: %d before %d probes, %d after", threads, 2*rounds, after)
	}
}

func TestEncodeJPEG(t *testing.T) {
	path := testvideo.Make(t, testvideo.Spec{})
	info, err := Probe(probeCtx(t), path)
	if err != nil {
		t.Fatal(err)
	}
	data, err := EncodeJPEG(info.Poster, 90)
	if err != nil {
		t.Fatal(err)
	}
	decoded, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	got := image.NewRGBA(decoded.Bounds())
	draw.Draw(got, got.Rect, decoded, decoded.Bounds().Min, draw.Src)
	t.Logf("640x360 poster: %d bytes of JPEG at quality 90", len(data))
	// The test pattern's hard edges are JPEG's worst case; unrelated
	// pictures score about 10 dB.
	if db := testvideo.PSNR(got, info.Poster); db < 28 {
		t.Errorf("JPEG round trip: PSNR %.1f dB", db)
	}
	if len(data) > 200<<10 {
		t.Errorf("JPEG poster %d bytes, want under 200 KiB", len(data))
	}
	for _, q := range []int{0, 101} {
		if _, err := EncodeJPEG(info.Poster, q); err == nil {
			t.Errorf("quality %d accepted", q)
		}
	}
	if _, err := EncodeJPEG(nil, 80); err == nil {
		t.Error("nil image accepted")
	}
}

func TestPosterTimes(t *testing.T) {
	for _, tc := range []struct {
		duration, requested time.Duration
		want                time.Duration
	}{
		{10 * time.Minute, 0, time.Minute},
		{5 * time.Second, 0, time.Second},
		{1500 * time.Millisecond, 0, 750 * time.Millisecond},
		{0, 0, time.Second},
		{10 * time.Second, 3 * time.Second, 3 * time.Second},
		{10 * time.Second, 12 * time.Second, time.Second}, // past the end: automatic
	} {
		if got := posterTime(tc.duration, tc.requested); got != tc.want {
			t.Errorf("posterTime(%v, %v) = %v, want %v", tc.duration, tc.requested, got, tc.want)
		}
	}
	got := posterTimes(time.Second, 10*time.Second)
	if len(got) != posterTries || got[0] != time.Second || got[len(got)-1] > 7500*time.Millisecond {
		t.Errorf("posterTimes(1s, 10s) = %v", got)
	}
	for i := 1; i < len(got); i++ {
		if got[i] <= got[i-1] {
			t.Errorf("posterTimes not increasing: %v", got)
		}
	}
}

// unreadable takes read permission away from path, skipping the test where
// that does not stop reading (root).
func unreadable(t *testing.T, path string) string {
	t.Helper()
	if err := os.Chmod(path, 0); err != nil {
		t.Fatal(err)
	}
	if f, err := os.Open(path); err == nil {
		f.Close()
		return "" // root reads anyway
	}
	return path
}
