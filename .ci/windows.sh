#!/usr/bin/env bash
# CI, Windows stage: build (or reuse) the mingw-w64 prefix of GLib and friends from Debian's
# source packages, cross-build core/winpath and platform/windows with their tests
# (tests/windows), and run them under Wine, headless, in a throwaway WINEPREFIX. Any failure
# fails the run. Prints the time of each stage.
#
#   .ci/windows.sh [BUILD_DIR]      (default build-win)
#
# CUDAUP_MINGW_PREFIX picks the prefix (default /opt/cudaup-mingw); a prefix whose key matches
# is reused (packaging/mingw/build-deps.sh), so only the first run pays the ~4-7 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-win}
start=$SECONDS

stage() {
  local name=$1 t=$SECONDS
  shift
  echo "== windows: $name"
  "$@"
  echo "== windows: $name took $((SECONDS - t)) s"
}

install_wine() {
  if dpkg-query -W -f='${Status}' wine64 2>/dev/null | grep -q 'install ok installed' &&
    command -v wine >/dev/null; then
    return 0
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  # wine64 alone runs the 64-bit test programs; no i386 multiarch needed.
  apt-get install -y --no-install-recommends wine wine64
}

configure_and_build() {
  cmake -S tests/windows -B "$build" -G Ninja \
    -DCMAKE_TOOLCHAIN_FILE="$PWD/packaging/mingw/toolchain-mingw64.cmake"
  cmake --build "$build" -j2
}

stage "wine" install_wine
stage "mingw prefix" packaging/mingw/build-deps.sh
stage "cross build" configure_and_build
stage "tests under wine" ctest --test-dir "$build" --output-on-failure
echo "== windows: all stages took $((SECONDS - start)) s"
