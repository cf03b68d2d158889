//go:build mpvcompat && cgo && !nocgo

package playback

// Stand-ins for the two libmpv 2.1 entry points that go-mpv v0.4.0 links
// against but libmpv 0.35 does not export. They are linked into any binary
// that imports playback, which is why nothing but playback may import go-mpv.
//
// mpv_get_time_ns is derived from the microsecond clock: callers only compare
// or subtract these values, so the lost precision does not matter.
// mpv_del_property has no 0.35 equivalent; reporting "not implemented" lets
// callers fall back instead of the binary failing to link.

/*
#cgo !pkgconfig LDFLAGS: -lmpv
#cgo pkgconfig,!static pkg-config: mpv
#cgo pkgconfig,static pkg-config: --static mpv

#include <mpv/client.h>

int64_t mpv_get_time_ns(mpv_handle *ctx) {
	return mpv_get_time_us(ctx) * 1000;
}

int mpv_del_property(mpv_handle *ctx, const char *name) {
	(void)ctx;
	(void)name;
	return MPV_ERROR_NOT_IMPLEMENTED;
}
*/
import "C"

// compatShim reports that this binary carries the stand-ins above, so tests
// can expect their behaviour rather than libmpv's.
const compatShim = true
