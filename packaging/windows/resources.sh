#!/usr/bin/env bash
# Compiles ipfs-tube.exe's Windows resources (icon, version information,
# manifest) into a COFF object the Go linker embeds: a .syso file in the
# main package, picked up by `GOOS=windows go build`.
#
# Usage: resources.sh WIN_VERSION VERSION OUT.syso
#   WIN_VERSION  four numbers, a.b.c.d (each 0–65535)
#   VERSION      the version string shown in the file's properties
set -euo pipefail

die() { echo "resources.sh: $*" >&2; exit 1; }
[ $# -eq 3 ] || die "usage: resources.sh WIN_VERSION VERSION OUT.syso"
win_version=$1 version=$2 out=$3
windres=${WINDRES:-x86_64-w64-mingw32-windres}
command -v "$windres" >/dev/null || die "needs $windres (make deps installs gcc-mingw-w64-x86-64)"

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

IFS=. read -r a b c d extra <<<"$win_version"
[ -z "${extra:-}" ] || die "$win_version has more than four numbers"
fields=()
for n in "$a" "$b" "$c" "${d:-0}"; do
	[[ $n =~ ^[0-9]+$ ]] || die "$win_version is not a.b.c.d"
	# The commit count can outgrow a 16-bit field; keep it in range.
	((n > 65535)) && n=65535
	fields+=("$n")
done
fileversion=$(IFS=,; echo "${fields[*]}")
flags=0
case $version in *-*) flags=VS_FF_PRERELEASE ;; esac
# The .rc language quotes strings with "", so a version string with one
# would break it; ours never has one.
[[ $version != *'"'* ]] || die "a version with a double quote"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed -e "s|@ICON@|$root/assets/icon.ico|" \
	-e "s|@MANIFEST@|$here/ipfs-tube.exe.manifest|" \
	-e "s|@FILEVERSION@|$fileversion|" \
	-e "s|@FILEFLAGS@|$flags|" \
	-e "s|@VERSION@|$version|g" \
	"$here/ipfs-tube.rc.in" >"$work/ipfs-tube.rc"
"$windres" --target=pe-x86-64 -O coff -i "$work/ipfs-tube.rc" -o "$out"
echo "resources.sh: $out ($version, $fileversion)"
