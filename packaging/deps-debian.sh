#!/bin/sh
# Installs everything cudaup needs to build and to run its tests on Debian 12 / Ubuntu 22.04+.
# Used by the README's first command and by .ci/run, so the two never drift apart.
# desktop-file-utils and appstream validate packaging/ (tests/test_packaging.c); xvfb, xauth,
# dbus (dbus-run-session), dbus-x11 and fonts-noto-cjk let the wizard's tests draw (Korean too)
# without a display.
# `deps-debian.sh --list` only prints the package names (one line), for scripts that run
# apt-get themselves.
set -eu
packages="build-essential cmake ninja-build pkg-config ca-certificates
  libglib2.0-dev libglib2.0-bin libjansson-dev
  libcurl4-openssl-dev libssl-dev libarchive-dev
  openssl nginx-light curl
  pci.ids
  libgtk-4-dev
  desktop-file-utils appstream
  xvfb xauth dbus dbus-x11 fonts-noto-cjk
  zsh fish gettext
  clang-format hyperfine pciutils"
if [ "${1:-}" = "--list" ]; then
  echo $packages
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if [ "$(id -u)" -ne 0 ]; then
  echo "deps-debian.sh: run as root (sudo $0)" >&2
  exit 2
fi
apt-get update
# shellcheck disable=SC2086 # one word per package
apt-get install -y --no-install-recommends $packages
