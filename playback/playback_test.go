package playback

import (
	"errors"
	"strings"
	"testing"

	mpv "github.com/gen2brain/go-mpv"
)

func TestClientAPIVersion(t *testing.T) {
	major, minor := ClientAPIVersion()
	// go-mpv v0.4.0 targets the 2.x client API; 1.x lacks the render API
	// this package depends on.
	if major != 2 {
		t.Fatalf("libmpv client API %d.%d, want 2.x", major, minor)
	}
	// The shim is only for libmpv older than 2.1; on newer libraries it
	// would hide the real mpv_del_property.
	if CompatShim() && minor >= 1 {
		t.Errorf("built with mpvcompat against client API %d.%d, which needs no shim", major, minor)
	}
	t.Logf("libmpv client API %d.%d, compat shim %v", major, minor, CompatShim())
}

// newHeadlessMpv starts a real mpv core with no video or audio output, as the
// player will in tests and on CI machines without a display or sound card.
func newHeadlessMpv(t *testing.T) *mpv.Mpv {
	t.Helper()
	m := mpv.New()
	for _, o := range [][2]string{{"vo", "null"}, {"ao", "null"}, {"config", "no"}, {"terminal", "no"}} {
		if err := m.SetOptionString(o[0], o[1]); err != nil {
			m.TerminateDestroy()
			t.Fatalf("SetOptionString(%s=%s): %v", o[0], o[1], err)
		}
	}
	if err := m.Initialize(); err != nil {
		m.TerminateDestroy()
		t.Fatalf("Initialize: %v", err)
	}
	t.Cleanup(m.TerminateDestroy)
	return m
}

func TestHeadlessHandle(t *testing.T) {
	m := newHeadlessMpv(t)

	if v := m.GetPropertyString("mpv-version"); !strings.HasPrefix(v, "mpv ") {
		t.Errorf("mpv-version = %q, want prefix \"mpv \"", v)
	}
	if vo := m.GetPropertyString("vo"); vo != "null" {
		t.Errorf("vo = %q, want null", vo)
	}
	// Nothing is loaded, so there is no playback position: a handle that
	// pretended otherwise would break the player's state machine.
	if _, err := m.GetProperty("time-pos", mpv.FormatDouble); !errors.Is(err, mpv.ErrPropertyUnavailable) {
		t.Errorf("time-pos with nothing loaded: err = %v, want %v", err, mpv.ErrPropertyUnavailable)
	}

	// Exercises mpv_get_time_ns, which the shim supplies on libmpv 0.35.
	us := m.TimeUS()
	ns := m.TimeNS()
	if ns < us*1000 {
		t.Errorf("TimeNS %d went backwards from TimeUS %d", ns, us)
	}
	if d := ns - us*1000; d > 10e9 {
		t.Errorf("TimeNS %d and TimeUS %d disagree by %d ns", ns, us, d)
	}

	// mpv_del_property is the other function the shim supplies.
	err := m.DelProperty("user-data/ipfs-tube-test")
	if CompatShim() && !errors.Is(err, mpv.ErrNotImplemented) {
		t.Errorf("DelProperty with the compat shim: err = %v, want %v", err, mpv.ErrNotImplemented)
	}
}
