package testvideo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

type probeStream struct {
	CodecType  string            `json:"codec_type"`
	CodecName  string            `json:"codec_name"`
	Width      int               `json:"width"`
	Height     int               `json:"height"`
	RFrameRate string            `json:"r_frame_rate"`
	Tags       map[string]string `json:"tags"`
}

func probe(t *testing.T, path string) (streams []probeStream, duration float64) {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-print_format", "json",
		"-show_streams", "-show_format", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	var res struct {
		Streams []probeStream `json:"streams"`
		Format  struct {
			Duration string `json:"duration"`
		} `json:"format"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("ffprobe output: %v", err)
	}
	var d float64
	if _, err := fmt.Sscan(res.Format.Duration, &d); err != nil {
		t.Fatalf("ffprobe duration %q: %v", res.Format.Duration, err)
	}
	return res.Streams, d
}

// keyframeTimes lists the timestamps of the video keyframes.
func keyframeTimes(t *testing.T, path string) []float64 {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-skip_frame", "nokey",
		"-show_entries", "frame=pts_time", "-of", "csv=p=0", path).Output()
	if err != nil {
		t.Fatalf("ffprobe keyframes: %v", err)
	}
	var times []float64
	for _, line := range strings.Fields(string(out)) {
		var v float64
		if _, err := fmt.Sscan(strings.TrimSuffix(line, ","), &v); err != nil {
			t.Fatalf("keyframe time %q: %v", line, err)
		}
		times = append(times, v)
	}
	return times
}

func TestMakeContainers(t *testing.T) {
	for _, tc := range []struct {
		spec             Spec
		video, audio     string
		moovBeforeMdat   bool
		checkAtomsForMP4 bool
	}{
		{Spec{Container: "mp4", Duration: 4 * time.Second}, "h264", "aac", false, true},
		{Spec{Container: "mp4", Duration: 4 * time.Second, FastStart: true}, "h264", "aac", true, true},
		{Spec{Container: "webm", Duration: 4 * time.Second, Width: 320, Height: 240, FPS: 25}, "vp9", "opus", false, false},
	} {
		t.Run(tc.spec.withDefaults().Name(), func(t *testing.T) {
			path := Make(t, tc.spec)
			s := tc.spec.withDefaults()
			streams, dur := probe(t, path)
			if math.Abs(dur-s.Duration.Seconds()) > 0.2 {
				t.Errorf("duration %.2f s, want %.2f", dur, s.Duration.Seconds())
			}
			var gotVideo, gotAudio string
			for _, st := range streams {
				switch st.CodecType {
				case "video":
					gotVideo = st.CodecName
					if st.Width != s.Width || st.Height != s.Height {
						t.Errorf("video %dx%d, want %dx%d", st.Width, st.Height, s.Width, s.Height)
					}
				case "audio":
					gotAudio = st.CodecName
				}
			}
			if gotVideo != tc.video || gotAudio != tc.audio {
				t.Errorf("codecs video=%q audio=%q, want %q %q", gotVideo, gotAudio, tc.video, tc.audio)
			}
			keys := keyframeTimes(t, path)
			if len(keys) < int(s.Duration.Seconds()) {
				t.Errorf("keyframes at %v: want one per second", keys)
			}
			for i := 1; i < len(keys); i++ {
				if gap := keys[i] - keys[i-1]; gap > 1.01 {
					t.Errorf("keyframe gap %.3f s after %.3f s, want <= 1 s", gap, keys[i-1])
				}
			}
			if tc.checkAtomsForMP4 {
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				moov, mdat := bytes.Index(data, []byte("moov")), bytes.Index(data, []byte("mdat"))
				if (moov < mdat) != tc.moovBeforeMdat {
					t.Errorf("moov at %d, mdat at %d: FastStart=%v not honoured", moov, mdat, tc.spec.FastStart)
				}
			}
			// The second call must come from the cache: same path, same bytes.
			before, _ := os.Stat(path)
			again := Make(t, tc.spec)
			after, _ := os.Stat(again)
			if again != path || !after.ModTime().Equal(before.ModTime()) {
				t.Errorf("second Make regenerated the video (%s)", again)
			}
		})
	}
}

func TestTracksAndAudioOnly(t *testing.T) {
	path := Make(t, Spec{Duration: 3 * time.Second, AudioTracks: 2, Subtitles: true})
	streams, _ := probe(t, path)
	var langs []string
	subs := 0
	for _, st := range streams {
		switch st.CodecType {
		case "audio":
			langs = append(langs, st.Tags["language"])
		case "subtitle":
			subs++
		}
	}
	if strings.Join(langs, ",") != "eng,fra" || subs != 1 {
		t.Errorf("audio languages %v and %d subtitle tracks, want eng,fra and 1", langs, subs)
	}

	audio := Make(t, Spec{Duration: 3 * time.Second, AudioOnly: true})
	streams, _ = probe(t, audio)
	if len(streams) != 1 || streams[0].CodecType != "audio" {
		t.Errorf("audio-only file has streams %+v", streams)
	}
}

func TestFrameAtAndPSNR(t *testing.T) {
	path := Make(t, Spec{Duration: 4 * time.Second})
	a := FrameAt(t, path, time.Second, 320, 180)
	a2 := FrameAt(t, path, time.Second, 320, 180)
	b := FrameAt(t, path, 3*time.Second, 320, 180)
	if a.Rect.Dx() != 320 || a.Rect.Dy() != 180 {
		t.Fatalf("frame size %v", a.Rect)
	}
	if !math.IsInf(PSNR(a, a2), 1) {
		t.Errorf("the same frame decoded twice differs: PSNR %.1f dB", PSNR(a, a2))
	}
	// The moving pattern and the clock must make 1 s and 3 s clearly different.
	if db := PSNR(a, b); db > 25 {
		t.Errorf("frames 2 s apart look alike: PSNR %.1f dB", db)
	}
	if PSNR(a, FrameAt(t, path, time.Second, 160, 90)) != 0 {
		t.Error("PSNR of different sizes is not 0")
	}
}

func TestMakeTruncatedAndServe(t *testing.T) {
	spec := Spec{Duration: 4 * time.Second}
	full := Make(t, spec)
	cut := MakeTruncated(t, spec, 0.5)
	fi, _ := os.Stat(full)
	ci, _ := os.Stat(cut)
	if want := fi.Size() / 2; ci.Size() < want-1 || ci.Size() > want+1 {
		t.Errorf("truncated size %d, want about %d", ci.Size(), want)
	}

	url := Serve(t, full)
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Range", "bytes=100-199")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	data, _ := os.ReadFile(full)
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, data[100:200]) {
		t.Errorf("Range request: status %d, %d bytes", resp.StatusCode, len(body))
	}
}

func TestBadSpec(t *testing.T) {
	if _, err := make1(Spec{Container: "avi"}); err == nil {
		t.Error("container avi accepted")
	}
	if _, err := make1(Spec{Width: 641}); err == nil {
		t.Error("odd width accepted")
	}
}
