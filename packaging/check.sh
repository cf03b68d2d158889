#!/usr/bin/env bash
# Checks the packages `make package-linux` and `make package-windows` left in
# DIST, the way a user's system would see them. `make package-check` (part of
# `make test`, so of CI) runs it; any failed check fails the run.
#
# Usage: check.sh DIST   with VERSION, DEB_VERSION and APP_ID set.
set -euo pipefail

dist=$1
: "${VERSION:?}" "${DEB_VERSION:?}" "${APP_ID:?}"
root=$(cd "$(dirname "$0")/.." && pwd)
arch=$(dpkg --print-architecture)
deb=$dist/ipfs-tube_${DEB_VERSION}_$arch.deb
tarball=$dist/ipfs-tube-$VERSION-linux-$arch.tar.xz
zipfile=$dist/ipfs-tube-$VERSION-windows-amd64.zip
exe=$dist/windows/ipfs-tube.exe

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}
ok() { echo "ok: $*"; }
# has FILE PATTERN WHAT: FILE has a line matching the extended regexp.
has() {
	if grep -Eq -- "$2" "$1"; then ok "$3"; else fail "$3 (no line matching '$2' in $1)"; fi
}

# --- the desktop file and AppStream metadata, as committed -----------------
desktop=$root/packaging/linux/$APP_ID.desktop
metainfo=$root/packaging/linux/$APP_ID.metainfo.xml
validate_desktop() {
	# desktop-file-validate prints hints but exits 0 for them; errors fail.
	if out=$(desktop-file-validate "$1" 2>&1); then ok "desktop-file-validate $(basename "$1") ${out:+($out)}"; else fail "desktop-file-validate: $out"; fi
}
validate_metainfo() {
	if out=$(appstreamcli validate --no-net "$1" 2>&1); then ok "appstreamcli validate $(basename "$1")"; else fail "appstreamcli validate: $out"; fi
}
validate_desktop "$desktop"
validate_metainfo "$metainfo"
# The validators must be able to fail: a broken copy of each.
grep -v '^Type=' "$desktop" >"$work/broken.desktop"
if desktop-file-validate "$work/broken.desktop" >/dev/null 2>&1; then fail "desktop-file-validate accepted an entry without Type"; else ok "desktop-file-validate rejects a broken entry"; fi
sed 's|<summary>.*</summary>||' "$metainfo" >"$work/broken.metainfo.xml"
if appstreamcli validate --no-net "$work/broken.metainfo.xml" >/dev/null 2>&1; then fail "appstreamcli accepted metadata without a summary"; else ok "appstreamcli rejects broken metadata"; fi
for mime in x-scheme-handler/ipfs x-scheme-handler/ipns video/mp4 video/webm video/x-matroska; do
	has "$desktop" "^MimeType=.*$mime;" "desktop file handles $mime"
done
has "$desktop" '^Exec=ipfs-tube %u$' "desktop file passes the link to ipfs-tube"
has "$desktop" "^Icon=$APP_ID$" "desktop file names the icon by the app ID"
has "$metainfo" "<launchable type=\"desktop-id\">$APP_ID.desktop</launchable>" "metainfo launches the desktop file"

# --- the .deb ---------------------------------------------------------------
if [ -f "$deb" ]; then
	dpkg-deb --info "$deb" >"$work/info"
	dpkg-deb --contents "$deb" >"$work/contents"
	has "$work/info" '^ Package: ipfs-tube$' ".deb Package"
	has "$work/info" "^ Version: ${DEB_VERSION//+/\\+}$" ".deb Version $DEB_VERSION"
	has "$work/info" "^ Architecture: $arch$" ".deb Architecture"
	has "$work/info" '^ Depends: .*libmpv2' ".deb depends on libmpv2"
	has "$work/info" '^ Depends: .*libc6' ".deb depends on libc6"
	for f in usr/bin/ipfs-tube "usr/share/applications/$APP_ID.desktop" "usr/share/metainfo/$APP_ID.metainfo.xml" \
		"usr/share/icons/hicolor/16x16/apps/$APP_ID.png" "usr/share/icons/hicolor/256x256/apps/$APP_ID.png" \
		"usr/share/icons/hicolor/512x512/apps/$APP_ID.png" "usr/share/icons/hicolor/scalable/apps/$APP_ID.svg"; do
		has "$work/contents" " root/root .* \./$f$" ".deb holds /$f (root-owned)"
	done
	has "$work/contents" '^-rwxr-xr-x root/root .* \./usr/bin/ipfs-tube$' ".deb binary is executable"
	dpkg-deb -x "$deb" "$work/deb"
	validate_desktop "$work/deb/usr/share/applications/$APP_ID.desktop"
	validate_metainfo "$work/deb/usr/share/metainfo/$APP_ID.metainfo.xml"
	# Every library the binary links comes from a package the .deb depends on.
	depends=$(sed -n 's/^ Depends: //p' "$work/info")
	ldconfig -p >"$work/ldcache"
	objdump -p "$work/deb/usr/bin/ipfs-tube" | awk '/NEEDED/ {print $2}' >"$work/needed"
	while read -r lib; do
		# The library's path for this architecture, then the package that
		# ships it (dpkg knows /lib/… or its /usr/lib/… twin, so try both).
		path=$(awk -v l="$lib" -v a="$(uname -m | tr _ -)" '$1 == l && index($0, a) && !p {p = $NF} END {print p}' "$work/ldcache")
		pkg=
		for p in "$path" "$(readlink -f "$path")" "/usr$path"; do
			[ -n "$pkg" ] || pkg=$(dpkg -S "$p" 2>/dev/null | sed -n '1s/:.*//p') || true
		done
		case ", $depends," in
		*", $pkg "* | *", $pkg,"* | *"| $pkg "* | *"| $pkg,"*) ok "$lib comes from $pkg, a dependency" ;;
		*) fail "$lib (package '${pkg:-unknown}') is not among the .deb's dependencies: $depends" ;;
		esac
	done <"$work/needed"
	if out=$("$work/deb/usr/bin/ipfs-tube" --version 2>&1) && grep -q "^ipfs-tube $VERSION " <<<"$out"; then
		ok "packaged binary reports version $VERSION"
	else
		fail "packaged binary --version: $out"
	fi
else
	fail "$deb is missing (make package-linux)"
fi

# --- the .tar.xz ------------------------------------------------------------
if [ -f "$tarball" ]; then
	tar -tJf "$tarball" >"$work/tarlist"
	for f in Makefile usr/local/bin/ipfs-tube "usr/local/share/applications/$APP_ID.desktop" \
		"usr/local/share/metainfo/$APP_ID.metainfo.xml" "usr/local/share/icons/hicolor/16x16/apps/$APP_ID.png"; do
		has "$work/tarlist" "^$f$" ".tar.xz holds $f"
	done
	mkdir "$work/tar" "$work/home"
	tar -xJf "$tarball" -C "$work/tar"
	if make -s -C "$work/tar" install DESTDIR="$work/sys" >/dev/null && [ -x "$work/sys/usr/local/bin/ipfs-tube" ] &&
		[ -f "$work/sys/usr/local/share/icons/hicolor/48x48/apps/$APP_ID.png" ]; then
		ok ".tar.xz: make install DESTDIR=… installs under usr/local"
	else
		fail ".tar.xz: make install did not install the binary and icons"
	fi
	if make -s -C "$work/tar" user-install HOME="$work/home" >/dev/null &&
		grep -q "^Exec=$work/home/.local/bin/ipfs-tube %u$" "$work/home/.local/share/applications/$APP_ID.desktop"; then
		ok ".tar.xz: make user-install puts the binary's full path in the desktop file"
		has "$work/home/.local/share/applications/mimeinfo.cache" "^x-scheme-handler/ipfs=(.*;)?$APP_ID.desktop;" \
			".tar.xz: after user-install the desktop knows the app opens ipfs:// links"
		validate_desktop "$work/home/.local/share/applications/$APP_ID.desktop"
	else
		fail ".tar.xz: make user-install"
	fi
	make -s -C "$work/tar" user-uninstall HOME="$work/home" >/dev/null
	# What stays are the desktop's own caches, refreshed without our files.
	left=$(find "$work/home" -type f ! -name mimeinfo.cache ! -name icon-theme.cache)
	if [ -z "$left" ]; then ok ".tar.xz: make user-uninstall removes every file"; else fail ".tar.xz: user-uninstall left $left"; fi
	if grep -rqs "$APP_ID" "$work/home/.local/share/applications/mimeinfo.cache"; then
		fail ".tar.xz: the link handler cache still names $APP_ID after user-uninstall"
	else
		ok ".tar.xz: the link handler cache forgot the app after user-uninstall"
	fi
else
	fail "$tarball is missing (make package-linux)"
fi

# --- the Windows exe and zip ------------------------------------------------
if [ -f "$exe" ]; then
	objdump=x86_64-w64-mingw32-objdump
	$objdump -p "$exe" >"$work/pe"
	has "$work/pe" 'Subsystem.*Windows GUI' "exe is a GUI program (no console window)"
	$objdump -h "$exe" >"$work/sections"
	has "$work/sections" ' \.rsrc ' "exe has a resource section"
	# Version strings are UTF-16 in the resource.
	strings -el "$exe" >"$work/strings16"
	has "$work/strings16" "^${VERSION//+/\\+}$" "exe's version resource says $VERSION"
	has "$work/strings16" '^IPFS-Tube$' "exe's version resource names the product"
	has "$work/strings16" '^ipfs-tube.exe$' "exe's version resource names the file"
	# The icon: windres copies the .ico's images as they are, and the 256 px
	# one is the very PNG in assets/icons.
	hex() { od -An -v -tx1 "$1" | tr -d ' \n'; }
	x86_64-w64-mingw32-objcopy -O binary --only-section=.rsrc "$exe" "$work/rsrc.bin"
	# Via files, not a pipe: grep -q stops reading at the first match and,
	# under pipefail, the writer's SIGPIPE would turn a match into a failure.
	hex "$work/rsrc.bin" >"$work/rsrc.hex"
	if grep -qF "$(hex "$root/assets/icons/256.png")" "$work/rsrc.hex"; then
		ok "exe embeds the app icon"
	else
		fail "exe's resources do not hold assets/icons/256.png"
	fi
	# Signing: a throwaway code-signing certificate, made here.
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=IPFS-Tube test signer" \
		-addext "keyUsage=critical,digitalSignature" -addext "extendedKeyUsage=codeSigning" \
		-keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
	if SIGN_CERT="$work/cert.pem" SIGN_KEY="$work/key.pem" "$root/packaging/windows/sign.sh" "$exe" "$work/signed.exe" >/dev/null; then
		if out=$(osslsigncode verify -CAfile "$work/cert.pem" -in "$work/signed.exe" 2>&1); then
			ok "osslsigncode verify: the signed exe verifies against the test certificate"
		else
			fail "osslsigncode verify of the signed exe: $out"
		fi
		if osslsigncode verify -CAfile "$work/cert.pem" -in "$exe" >/dev/null 2>&1; then
			fail "osslsigncode verify passed an unsigned exe"
		else
			ok "osslsigncode verify rejects the unsigned exe"
		fi
	else
		fail "sign.sh failed"
	fi
	if SIGN_CERT="$work/cert.pem" SIGN_KEY= "$root/packaging/windows/sign.sh" "$exe" "$work/x.exe" 2>/dev/null; then
		fail "sign.sh signed without a key"
	else
		ok "sign.sh refuses to sign without SIGN_KEY"
	fi
else
	fail "$exe is missing (make package-windows)"
fi
if [ -f "$zipfile" ]; then
	unzip -Z1 "$zipfile" >"$work/ziplist"
	has "$work/ziplist" '^IPFS-Tube/ipfs-tube.exe$' "zip holds ipfs-tube.exe"
	has "$work/ziplist" '^IPFS-Tube/README.txt$' "zip holds README.txt"
else
	fail "$zipfile is missing (make package-windows)"
fi
if [ -f "$exe" ]; then
	# LIBMPV_DLL bundles the DLL under the name go-mpv loads; a path that is
	# not a file stops the packaging.
	printf 'MZ stand-in\n' >"$work/some-libmpv.dll"
	if VERSION=$VERSION LIBMPV_DLL="$work/some-libmpv.dll" "$root/packaging/windows/package.sh" "$exe" "$work/zipdist" >/dev/null 2>&1 &&
		unzip -Z1 "$work/zipdist/ipfs-tube-$VERSION-windows-amd64.zip" >"$work/ziplist-dll" &&
		grep -qx 'IPFS-Tube/libmpv-2.dll' "$work/ziplist-dll"; then
		ok "LIBMPV_DLL=… puts libmpv-2.dll beside the exe in the zip"
	else
		fail "LIBMPV_DLL did not end up in the zip as libmpv-2.dll"
	fi
	if out=$(VERSION=$VERSION LIBMPV_DLL="$work/missing.dll" "$root/packaging/windows/package.sh" "$exe" "$work/zipdist" 2>&1); then
		fail "package.sh accepted a LIBMPV_DLL that does not exist"
	else
		grep -q 'is not a file' <<<"$out" && ok "a missing LIBMPV_DLL stops packaging with a message" || fail "missing LIBMPV_DLL: $out"
	fi
fi
for bad in 1.x.0 1.2.3.4.5; do
	if "$root/packaging/windows/resources.sh" "$bad" 1 "$work/bad.syso" >/dev/null 2>&1; then
		fail "resources.sh accepted the version $bad"
	else
		ok "resources.sh rejects the version $bad"
	fi
done

# --- macOS: off a Mac the target says why it cannot run ----------------------
if [ "$(uname -s)" != Darwin ]; then
	if make -s -C "$root" package-macos >"$work/macos.out" 2>&1; then
		fail "make package-macos succeeded off macOS"
	else
		has "$work/macos.out" 'builds only on macOS' "make package-macos fails off macOS with a clear message"
	fi
fi

if [ "$failures" -gt 0 ]; then
	echo "package checks: $failures failed" >&2
	exit 1
fi
echo "package checks: all passed"
