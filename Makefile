# IPFS-Tube build. `make run` sets up a fresh Debian/Ubuntu machine and opens
# the app; `make test` runs everything CI runs. See README.md.

GO ?= go

# --- libmpv 0.35 compatibility -------------------------------------------
# go-mpv v0.4.0 calls two functions that libmpv gained in client API 2.1
# (libmpv 0.36). mpv.pc carries the client API version, not mpv's release
# (libmpv 0.35.1 reports 2.0.0). Below 2.1 we put a shim header first on the
# include path and build with the tag that links stand-ins for the two
# functions (playback/mpvcompat.go). Recursive (=) so it is evaluated when a
# recipe runs, after `deps` may have installed libmpv-dev.
MPV_API_VERSION = $(shell pkg-config --modversion mpv 2>/dev/null)
MPV_COMPAT = $(shell echo '$(MPV_API_VERSION)' | awk -F. 'NF >= 2 && ($$1 < 2 || ($$1 == 2 && $$2 < 1)) { print "yes" }')
MPV_COMPAT_INCLUDE := $(CURDIR)/playback/internal/mpvcompat/include

# VCS stamping fails in checkouts without commits and is not needed here.
GO_FLAGS = $(strip $(GOFLAGS) -buildvcs=false $(if $(MPV_COMPAT),-tags=mpvcompat))
# Setting CGO_CFLAGS replaces Go's default "-O2 -g", so keep it.
GO_ENV = GOFLAGS='$(GO_FLAGS)' $(if $(MPV_COMPAT),CGO_CFLAGS='$(or $(CGO_CFLAGS),-O2 -g) -I$(MPV_COMPAT_INCLUDE)')
# Every go command goes through GOCMD so all of them see the same switch.
GOCMD = $(GO_ENV) $(GO)

# --- tests ---------------------------------------------------------------
TEST_TIMEOUT ?= 30m
INTEROP_PKGS ?= ./app/ ./node/
# BenchmarkVsKubo (app/bench_test.go) is the benchmark: 1 GiB import and
# fetch against Kubo, medians of 3, printed side by side.
# -count=1 everywhere: interop results depend on a Kubo binary go test's
# cache does not track, and a cached pass proves nothing about this machine.
BENCH_CMD ?= $(GOCMD) test -run '^$$' -bench . -benchtime 1x -timeout 60m ./app/
# Fuzzing (internal/fuzz): every fuzz target in turn, FUZZTIME each for
# `make fuzz`, FUZZTIME_SHORT each in `make test`.
FUZZTIME ?= 60s
FUZZTIME_SHORT ?= 3s

# Debian packages: libmpv and mpv for playback, ffmpeg to make test videos and
# screenshots, xvfb (+ xauth for xvfb-run, x11-utils for xwininfo) for GUI
# tests, GL/X11 headers for Fyne, jq for scripts. Packaging (make package-*,
# package-check): dpkg-dev (dpkg-shlibdeps, objdump), xz-utils, zip/unzip,
# desktop-file-utils and appstream (validators), MinGW for the Windows exe
# (its binutils bring windres, objdump, objcopy), osslsigncode and openssl
# for signing it.
DEB_PACKAGES = libmpv-dev mpv ffmpeg xvfb xauth x11-utils libgl1-mesa-dev xorg-dev libxxf86vm-dev pkg-config jq \
	dpkg-dev xz-utils zip unzip desktop-file-utils appstream gcc-mingw-w64-x86-64 osslsigncode openssl

BIN = bin/ipfs-tube

# --- version and packaging -------------------------------------------------
# app/FyneApp.toml holds the app's ID, name and the version being worked on.
# A commit tagged v$(APP_VERSION) builds that release; any other commit
# builds $(APP_VERSION)-dev.N+gHASH (N = commits in its history), which
# sorts before the release. The binary reports it (ipfs-tube --version).
APP_META = app/FyneApp.toml
APP_ID := $(shell sed -n 's/^ID *= *"\(.*\)"/\1/p' $(APP_META))
APP_VERSION := $(shell sed -n 's/^Version *= *"\(.*\)"/\1/p' $(APP_META))
GIT_COMMIT := $(shell git rev-parse --short=8 HEAD 2>/dev/null)
GIT_COUNT := $(or $(shell git rev-list --count HEAD 2>/dev/null),0)
# `make VERSION=x` overrides it (only from the command line: an environment
# variable called VERSION is too common to trust).
ifneq ($(origin VERSION),command line)
VERSION := $(shell if git describe --tags --exact-match --match 'v$(APP_VERSION)' >/dev/null 2>&1; then echo '$(APP_VERSION)'; \
	elif [ -n '$(GIT_COMMIT)' ]; then echo '$(APP_VERSION)-dev.$(GIT_COUNT)+g$(GIT_COMMIT)'; else echo '$(APP_VERSION)-dev'; fi)
endif
# Debian sorts "~" before anything, so 0.1.0~dev.N comes before 0.1.0.
DEB_VERSION = $(subst -,~,$(VERSION))
# Windows' version resource holds four numbers.
WIN_VERSION = $(APP_VERSION).$(GIT_COUNT)
LDFLAGS = -X github.com/ipfs-tube/ipfs-tube/node.Version=$(VERSION) -X main.commit=$(GIT_COMMIT)
DIST = dist

# Windows: cross-compiled with MinGW. Fyne needs cgo; go-mpv's nocgo tag
# loads libmpv-2.dll at run time, so no libmpv is needed to build, and the
# libmpv 0.35 shim (a Linux matter) stays out. The .syso carries the icon,
# the version and the manifest; it exists only during the build. -s -w
# leave out the symbol table and DWARF (a third of the size); stack traces
# keep their function names and lines.
WIN_EXE = $(DIST)/windows/ipfs-tube.exe
WIN_SYSO = app/zz_resources_windows_amd64.syso
WIN_GO = CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc GOOS=windows GOARCH=amd64 \
	GOFLAGS='$(strip $(GOFLAGS) -buildvcs=false)' CGO_CFLAGS='-O2 -g' $(GO)
# LIBMPV_DLL=path/to/libmpv-2.dll bundles it in the zip; SIGN_CERT and
# SIGN_KEY (PEM; SIGN_PASS, SIGN_TIMESTAMP optional) sign the exe.
LIBMPV_DLL ?=

.PHONY: all deps build run test bench interop vet kubo clean mpv-info icons fuzz fuzz-short \
	package-linux package-windows package-macos package-check

all: build

deps:
	@set -e; \
	case "$$(uname -s)" in \
	Darwin) \
		echo "On macOS install the dependencies with Homebrew:"; \
		echo "  brew install mpv pkg-config ffmpeg jq"; \
		exit 0;; \
	Linux) ;; \
	*) echo "deps: unsupported system $$(uname -s); install libmpv, pkg-config and ffmpeg by hand" >&2; exit 1;; \
	esac; \
	if ! command -v dpkg-query >/dev/null 2>&1; then \
		echo "deps: not a Debian-based system; install: $(DEB_PACKAGES)" >&2; exit 1; \
	fi; \
	missing=; \
	for p in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "deps: all Debian packages present"; exit 0; fi; \
	sudo=; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
	echo "deps: installing$$missing"; \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q; \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing

mpv-info:
	@echo "libmpv client API (pkg-config mpv): $(or $(MPV_API_VERSION),not found)"
	@echo "libmpv 0.35 compatibility shim: $(or $(MPV_COMPAT),no)"
	@echo "go command: $(GOCMD)"

build:
	$(GOCMD) build -ldflags "$(LDFLAGS)" -o $(BIN) ./app

# Sub-make so the build sees libmpv only after deps installed it, also under -j.
run: deps
	@$(MAKE) --no-print-directory build
	./$(BIN)

vet:
	$(GOCMD) vet ./...

# Kubo is the interop peer and benchmark baseline. Building it (minutes, once
# per machine, cached outside the repo) up front keeps that time out of test
# timeouts.
kubo:
	$(GOCMD) run ./internal/kubotest/cmd/buildkubo

# Race-enabled run of everything (interop tests included), then the heavy
# "Large" tests again without the race detector, where they use bigger sizes,
# then the packages built and checked.
test: kubo vet
	$(GOCMD) test -count=1 -race -timeout $(TEST_TIMEOUT) ./...
	@$(MAKE) --no-print-directory fuzz-short
	$(GOCMD) test -count=1 -timeout $(TEST_TIMEOUT) -run 'Large' ./...
	@$(MAKE) --no-print-directory package-check

# Each target of every package that has any, for FUZZTIME (a failing
# input lands in the package's testdata/fuzz/; commit it as a seed).
fuzz:
	GO='$(GO)' $(GOCMD) run ./internal/fuzz -fuzztime $(FUZZTIME)

fuzz-short:
	GO='$(GO)' $(GOCMD) run ./internal/fuzz -fuzztime $(FUZZTIME_SHORT)

interop: kubo
	$(GOCMD) test -count=1 -timeout $(TEST_TIMEOUT) -run 'Interop' -v $(INTEROP_PKGS)

bench: kubo
	$(BENCH_CMD)

# The icon PNGs and .ico are committed; regenerate them after editing
# assets/icon.svg (internal/icongen's test fails until you do).
icons:
	$(GOCMD) run ./internal/icongen

# Linux: a .tar.xz in Fyne's layout and a .deb (packaging/linux/package.sh).
package-linux: build
	VERSION='$(VERSION)' DEB_VERSION='$(DEB_VERSION)' APP_ID='$(APP_ID)' packaging/linux/package.sh $(BIN) $(DIST)

package-windows:
	@command -v x86_64-w64-mingw32-gcc >/dev/null || { echo "package-windows: needs MinGW: make deps (gcc-mingw-w64-x86-64)" >&2; exit 1; }
	packaging/windows/resources.sh '$(WIN_VERSION)' '$(VERSION)' $(WIN_SYSO)
	$(WIN_GO) build -tags nocgo -ldflags "-H=windowsgui -s -w $(LDFLAGS)" -o $(WIN_EXE) ./app; \
		status=$$?; rm -f $(WIN_SYSO); exit $$status
	VERSION='$(VERSION)' LIBMPV_DLL='$(LIBMPV_DLL)' packaging/windows/package.sh $(WIN_EXE) $(DIST)

# macOS: only on a Mac (an app bundle needs Apple's toolchain to link).
package-macos:
	@[ "$$(uname -s)" = Darwin ] || { echo "package-macos: builds only on macOS (it links against Homebrew's libmpv and Apple's frameworks); use a Mac with Go, Xcode's command line tools and 'brew install mpv pkg-config'" >&2; exit 1; }
	VERSION='$(VERSION)' APP_VERSION='$(APP_VERSION)' BUILD='$(GIT_COUNT)' LDFLAGS='$(LDFLAGS)' GO='$(GO)' packaging/macos/package.sh $(DIST)

# What CI checks of the packages (packaging/check.sh): the .deb's fields and
# files, the desktop file and AppStream metadata against their validators,
# the tarball's Makefile, the Windows exe's resources and a signature made
# with a throwaway certificate.
package-check:
	@start=$$(date +%s); $(MAKE) --no-print-directory package-linux && \
		echo "==> package-linux: $$(( $$(date +%s) - start ))s"
	@start=$$(date +%s); $(MAKE) --no-print-directory package-windows && \
		echo "==> package-windows: $$(( $$(date +%s) - start ))s"
	@start=$$(date +%s); DEB_VERSION='$(DEB_VERSION)' VERSION='$(VERSION)' APP_ID='$(APP_ID)' packaging/check.sh $(DIST) && \
		echo "==> package checks: $$(( $$(date +%s) - start ))s"

clean:
	rm -rf bin $(DIST) $(WIN_SYSO)
