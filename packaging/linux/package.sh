#!/usr/bin/env bash
# Builds the Linux packages of IPFS-Tube from a built binary:
#   DIST/ipfs-tube-VERSION-linux-ARCH.tar.xz  Fyne's layout: usr/local/… and a
#                                             Makefile (install, user-install, …)
#   DIST/ipfs-tube_DEBVERSION_ARCH.deb        for Debian and Ubuntu, built with dpkg-deb
# Both carry the desktop file, the icon in the hicolor sizes and the AppStream
# metainfo. `make package-linux` runs it; see packaging/README.md.
#
# Usage: package.sh BINARY DIST   with VERSION, DEB_VERSION and APP_ID set.
set -euo pipefail

die() { echo "package-linux: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: package.sh BINARY DIST"
bin=$1
dist=$2
: "${VERSION:?}" "${DEB_VERSION:?}" "${APP_ID:?}"
[ -x "$bin" ] || die "$bin is not a built binary (make build)"
command -v dpkg-deb >/dev/null || die "needs dpkg-deb (a Debian-based system)"
command -v dpkg-shlibdeps >/dev/null || die "needs dpkg-shlibdeps (apt-get install dpkg-dev)"

root=$(cd "$(dirname "$0")/../.." && pwd)
arch=$(dpkg --print-architecture)
maintainer=${DEB_MAINTAINER:-IPFS-Tube developers <noreply@ipfs-tube.invalid>}
sizes=$(cd "$root/assets/icons" && ls ./*.png | sed 's|^\./||; s|\.png$||' | sort -n)

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$dist"

# install_tree DESTDIR PREFIX: the files both packages carry, under PREFIX.
install_tree() {
	local dest=$1$2
	# Stripped of the symbol table and DWARF (a third of the size); Go's
	# own tables stay, so panics still print function names and lines.
	install -Dm755 -s "$bin" "$dest/bin/ipfs-tube"
	install -Dm644 "$root/packaging/linux/$APP_ID.desktop" "$dest/share/applications/$APP_ID.desktop"
	install -Dm644 "$root/packaging/linux/$APP_ID.metainfo.xml" "$dest/share/metainfo/$APP_ID.metainfo.xml"
	for s in $sizes; do
		install -Dm644 "$root/assets/icons/$s.png" "$dest/share/icons/hicolor/${s}x${s}/apps/$APP_ID.png"
	done
	install -Dm644 "$root/assets/icon.svg" "$dest/share/icons/hicolor/scalable/apps/$APP_ID.svg"
}

# Files in the archives belong to root and carry one time stamp (the last
# commit's, else now), so the same inputs give the same archive.
mtime=$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)

# --- .tar.xz, Fyne's layout ---------------------------------------------
tarroot=$stage/tar
install_tree "$tarroot" /usr/local
sed -e "s|@APP_ID@|$APP_ID|g" "$root/packaging/linux/Makefile.in" >"$tarroot/Makefile"
tarball=$dist/ipfs-tube-$VERSION-linux-$arch.tar.xz
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$mtime" \
	-C "$tarroot" -cJf "$tarball" Makefile usr
echo "package-linux: $tarball"

# --- .deb -----------------------------------------------------------------
debroot=$stage/deb
install_tree "$debroot" /usr
# The runtime dependencies from what the binary links (DT_NEEDED), mapped to
# the packages that ship those libraries on this system: libmpv2 for
# libmpv.so.2 on Debian 12, plus libc6 and the X11/GL libraries Fyne uses.
mkdir -p "$stage/shlibs/debian"
printf 'Source: ipfs-tube\n\nPackage: ipfs-tube\nArchitecture: any\n' >"$stage/shlibs/debian/control"
depends=$(cd "$stage/shlibs" && dpkg-shlibdeps -O -e "$debroot/usr/bin/ipfs-tube" 2>/dev/null |
	sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || die "dpkg-shlibdeps found no dependencies for $bin"
case ",$depends," in
*libmpv*) ;;
*) die "the binary does not link libmpv (dependencies: $depends)" ;;
esac
installed_kb=$(du -sk "$debroot/usr" | cut -f1)
mkdir -p "$debroot/DEBIAN"
cat >"$debroot/DEBIAN/control" <<EOF
Package: ipfs-tube
Version: $DEB_VERSION
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $installed_kb
Depends: $depends
Section: video
Priority: optional
Homepage: https://github.com/ipfs-tube/ipfs-tube
Description: watch, share and seed video over IPFS
 IPFS-Tube is a desktop video player and publisher with an embedded IPFS
 node: ipfs:// links play from the peers that have the video, falling back
 to public HTTP gateways with every block checked against its hash; a
 dropped video file is published with a shareable link; spare disk and
 upload bandwidth seed what the network needs.
EOF
deb=$dist/ipfs-tube_${DEB_VERSION}_$arch.deb
# dpkg's triggers refresh the desktop database and the icon cache, so the
# package needs no maintainer scripts.
SOURCE_DATE_EPOCH=$mtime dpkg-deb --root-owner-group -Zxz --build "$debroot" "$deb" >/dev/null
echo "package-linux: $deb"
