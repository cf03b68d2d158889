#!/usr/bin/env bash
# Builds IPFS-Tube.app on a Mac, zipped as DIST/ipfs-tube-VERSION-macos-ARCH.zip:
#   1. go build against Homebrew's libmpv (brew install mpv pkg-config);
#   2. `fyne package -os darwin` wraps it into an app bundle with the icon
#      (it makes the .icns);
#   3. our Info.plist replaces Fyne's, adding the ipfs:// and ipns:// URL
#      schemes and "Open With" for videos;
#   4. the bundle is signed ad hoc (codesign -s -), which Apple silicon
#      requires and which editing Info.plist invalidated. Set MACOS_SIGN_ID
#      to a Developer ID to sign for distribution instead (notarising is a
#      separate step with notarytool).
# `make package-macos` runs it with VERSION, APP_VERSION, BUILD, LDFLAGS, GO.
set -euo pipefail

die() { echo "package-macos: $*" >&2; exit 1; }
[ "$(uname -s)" = Darwin ] || die "builds only on macOS"
[ $# -eq 1 ] || die "usage: package.sh DIST"
dist=$1
: "${VERSION:?}" "${APP_VERSION:?}" "${BUILD:?}" "${LDFLAGS:?}" "${GO:=go}"
command -v pkg-config >/dev/null && pkg-config --exists mpv ||
	die "libmpv not found: brew install mpv pkg-config"
command -v codesign >/dev/null || die "needs codesign (xcode-select --install)"

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$dist"
dist=$(cd "$dist" && pwd)

(cd "$root" && "$GO" build -ldflags "$LDFLAGS" -o "$work/ipfs-tube" ./app)
(cd "$root" && "$GO" run ./internal/icongen -size 1024 -o "$work/icon.png")
# fyne package bumps Build in the FyneApp.toml of -sourceDir: give it a copy.
mkdir "$work/src"
cp "$root/app/FyneApp.toml" "$work/src/"
(cd "$work" && "$GO" run fyne.io/tools/cmd/fyne@v1.7.4 package -os darwin \
	-sourceDir "$work/src" -executable "$work/ipfs-tube" -icon "$work/icon.png" \
	-name IPFS-Tube -appID io.github.ipfs_tube.IPFSTube -appVersion "$APP_VERSION" -appBuild "$BUILD")
app=$work/IPFS-Tube.app
[ -d "$app" ] || app=$work/src/IPFS-Tube.app
[ -d "$app" ] || die "fyne package made no IPFS-Tube.app"
sed -e "s|@VERSION@|$APP_VERSION|" -e "s|@BUILD@|$BUILD|" "$here/Info.plist" >"$app/Contents/Info.plist"
plutil -lint "$app/Contents/Info.plist" >/dev/null
codesign --force --deep --sign "${MACOS_SIGN_ID:--}" "$app"
zipfile=$dist/ipfs-tube-$VERSION-macos-$(uname -m).zip
rm -f "$zipfile"
# ditto keeps the bundle's symlinks, extended attributes and signature.
ditto -c -k --keepParent "$app" "$zipfile"
echo "package-macos: $zipfile"
