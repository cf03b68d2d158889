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

# Debian packages: libmpv and mpv for playback, ffmpeg to make test videos and
# screenshots, xvfb (+ xauth for xvfb-run, x11-utils for xwininfo) for GUI
# tests, GL/X11 headers for Fyne, jq for scripts.
DEB_PACKAGES = libmpv-dev mpv ffmpeg xvfb xauth x11-utils libgl1-mesa-dev xorg-dev libxxf86vm-dev pkg-config jq

BIN = bin/ipfs-tube

.PHONY: all deps build run test bench interop vet kubo clean mpv-info icons

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
	$(GOCMD) build -ldflags "-X main.commit=$$(git rev-parse --short HEAD 2>/dev/null)" -o $(BIN) ./app

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
# "Large" tests again without the race detector, where they use bigger sizes.
test: kubo vet
	$(GOCMD) test -count=1 -race -timeout $(TEST_TIMEOUT) ./...
	$(GOCMD) test -count=1 -timeout $(TEST_TIMEOUT) -run 'Large' ./...

interop: kubo
	$(GOCMD) test -count=1 -timeout $(TEST_TIMEOUT) -run 'Interop' -v $(INTEROP_PKGS)

bench: kubo
	$(BENCH_CMD)

# The icon PNGs and .ico are committed; regenerate them after editing
# assets/icon.svg (internal/icongen's test fails until you do).
icons:
	$(GOCMD) run ./internal/icongen

clean:
	rm -rf bin
