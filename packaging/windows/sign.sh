#!/usr/bin/env bash
# Signs a Windows executable with Authenticode through osslsigncode.
#
# Usage: sign.sh IN.exe OUT.exe   with
#   SIGN_CERT       the certificate (chain), PEM or DER
#   SIGN_KEY        its private key, PEM or DER
#   SIGN_PASS       the key's password, if it has one (optional)
#   SIGN_TIMESTAMP  an RFC 3161 time-stamping server URL (optional; without
#                   one the signature stops verifying when the certificate
#                   expires)
set -euo pipefail

die() { echo "sign.sh: $*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: sign.sh IN.exe OUT.exe"
[ -n "${SIGN_CERT:-}" ] && [ -n "${SIGN_KEY:-}" ] || die "set both SIGN_CERT and SIGN_KEY"
[ -r "$SIGN_CERT" ] || die "cannot read SIGN_CERT $SIGN_CERT"
[ -r "$SIGN_KEY" ] || die "cannot read SIGN_KEY $SIGN_KEY"
command -v osslsigncode >/dev/null || die "needs osslsigncode (make deps installs it)"

args=(sign -certs "$SIGN_CERT" -key "$SIGN_KEY" -h sha256
	-n "IPFS-Tube" -i "https://github.com/ipfs-tube/ipfs-tube")
[ -z "${SIGN_PASS:-}" ] || args+=(-pass "$SIGN_PASS")
[ -z "${SIGN_TIMESTAMP:-}" ] || args+=(-ts "$SIGN_TIMESTAMP")
rm -f "$2"
osslsigncode "${args[@]}" -in "$1" -out "$2" >/dev/null
echo "sign.sh: signed $2"
