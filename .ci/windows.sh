#!/usr/bin/env bash
# CI, Windows stage: build (or reuse) the mingw-w64 prefix (GLib, jansson, OpenSSL, liblzma,
# libarchive, libcurl from Debian's source packages), cross-build cudaup.exe (core,
# platform/windows, cli; -Werror; the test hooks on) and stage it with its DLLs, cross-build
# core/winpath and platform/windows with their tests (tests/windows), and run everything under
# Wine, headless, in throwaway WINEPREFIXes. Any failure fails the run. Prints the time of
# each stage.
#
#   .ci/windows.sh [BUILD_DIR]      (default build-win)
#
# CUDAUP_MINGW_PREFIX picks the prefix (default /opt/cudaup-mingw); a prefix whose keys match
# is reused (packaging/mingw/build-deps.sh), so only the first run pays its ~10 minutes (a
# prefix holding only the GLib layer pays ~6-9 for the rest). From nothing the whole stage took
# 831 s here: prefix 590, cross builds 12, tests under Wine 229.
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(realpath -m "${1:-build-win}")
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

# The whole program, as shipped: installed into a stage with its DLLs next to cudaup.exe.
cross_build_cli() {
  cmake -S . -B "$build/cli" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_TOOLCHAIN_FILE="$PWD/packaging/mingw/toolchain-mingw64.cmake" \
    -DCUDAUP_WERROR=ON -DCUDAUP_TESTS=OFF -DCUDAUP_WIZARD=OFF -DCUDAUP_TEST_HOOKS=ON
  cmake --build "$build/cli" -j2
  rm -rf "$build/stage"
  cmake --install "$build/cli" --prefix "$build/stage"
  packaging/mingw/collect-dlls.sh "$build/stage/bin/cudaup.exe" | tr '\n' ' '
  echo
}

cross_build_tests() {
  cmake -S tests/windows -B "$build/tests" -G Ninja \
    -DCMAKE_TOOLCHAIN_FILE="$PWD/packaging/mingw/toolchain-mingw64.cmake" \
    -DCUDAUP_WINDOWS_STAGE="$build/stage"
  cmake --build "$build/tests" -j2
}

stage "wine" install_wine
stage "mingw prefix" packaging/mingw/build-deps.sh
stage "cross build: cudaup.exe" cross_build_cli
stage "cross build: tests" cross_build_tests
stage "tests under wine" ctest --test-dir "$build/tests" --output-on-failure
echo "== windows: all stages took $((SECONDS - start)) s"
