#!/usr/bin/env bash
# Puts the cross-compiled ipfs-tube.exe into a zip users unpack anywhere:
#   DIST/ipfs-tube-VERSION-windows-amd64.zip
#     IPFS-Tube/ipfs-tube.exe    (signed when SIGN_CERT and SIGN_KEY are set)
#     IPFS-Tube/libmpv-2.dll     (when LIBMPV_DLL names one)
#     IPFS-Tube/README.txt       (where to get libmpv-2.dll, how to remove)
# `make package-windows` builds the exe and runs this; see packaging/README.md.
#
# Usage: package.sh EXE DIST   with VERSION set.
set -euo pipefail

die() { echo "package-windows: $*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: package.sh EXE DIST"
exe=$1 dist=$2
: "${VERSION:?}"
here=$(cd "$(dirname "$0")" && pwd)
[ -f "$exe" ] || die "$exe is missing (make package-windows builds it)"
command -v zip >/dev/null || die "needs zip (make deps installs it)"

if [ -n "${SIGN_CERT:-}${SIGN_KEY:-}" ]; then
	"$here/sign.sh" "$exe" "$exe.signed"
	mv "$exe.signed" "$exe"
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
dir=$stage/IPFS-Tube
mkdir -p "$dir"
cp "$exe" "$dir/ipfs-tube.exe"
if [ -n "${LIBMPV_DLL:-}" ]; then
	[ -f "$LIBMPV_DLL" ] || die "LIBMPV_DLL=$LIBMPV_DLL is not a file"
	# go-mpv loads libmpv-2.dll by that name, from the exe's folder first.
	cp "$LIBMPV_DLL" "$dir/libmpv-2.dll"
else
	echo "package-windows: no LIBMPV_DLL given; the zip tells users where to get libmpv-2.dll" >&2
fi
# Notepad reads CRLF best.
sed "s/@VERSION@/$VERSION/; s/\$/\r/" "$here/README.txt" >"$dir/README.txt"

mkdir -p "$dist"
zipfile=$(cd "$dist" && pwd)/ipfs-tube-$VERSION-windows-amd64.zip
rm -f "$zipfile"
(cd "$stage" && zip -qrX "$zipfile" IPFS-Tube)
echo "package-windows: $zipfile"
