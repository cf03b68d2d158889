/*
 * Compatibility shim for building github.com/gen2brain/go-mpv v0.4.0 against
 * libmpv 0.35 (client API 2.0, as shipped by Debian 12).
 *
 * go-mpv refers to mpv_get_time_ns and mpv_del_property, which libmpv only
 * declares from client API 2.1 on, so cgo cannot resolve them on older headers.
 * The Makefile puts this directory first on the include path (CGO_CFLAGS=-I...)
 * only when pkg-config reports an older client API; this header then pulls in
 * the system header unchanged and adds the two missing prototypes. The
 * definitions live in playback/mpvcompat.go (build tag mpvcompat).
 *
 * On newer headers the guard below makes this file a plain pass-through, so a
 * stray -I pointing here cannot change behaviour.
 */
#ifndef IPFS_TUBE_MPVCOMPAT_CLIENT_H
#define IPFS_TUBE_MPVCOMPAT_CLIENT_H

#include_next <mpv/client.h>

#if MPV_CLIENT_API_VERSION < MPV_MAKE_VERSION(2, 1)
#ifdef __cplusplus
extern "C" {
#endif

int64_t mpv_get_time_ns(mpv_handle *ctx);
int mpv_del_property(mpv_handle *ctx, const char *name);

#ifdef __cplusplus
}
#endif
#endif

#endif
