#!/usr/bin/env bash
# Builds the C libraries cudaup needs for Windows x86_64 (libffi, pcre2, gettext's libintl,
# GLib/GIO 2.74, jansson) with Debian's mingw-w64 cross compiler, from Debian's own source
# packages, into a prefix outside the source tree. Debian ships no Windows builds of GLib.
#
#   packaging/mingw/build-deps.sh [--check] [--force]
#
#   CUDAUP_MINGW_PREFIX  install prefix (default /opt/cudaup-mingw)
#   CUDAUP_MINGW_WORK    sources and build trees, deleted after a good build
#                        (default /var/tmp/cudaup-mingw-work)
#   CUDAUP_MINGW_JOBS    parallel jobs (default 2)
#
# The prefix is reused when its stamp matches the key: this script's hash, the compiler and
# the Debian source versions. --check exits 0 when the prefix is current and 1 when not;
# --force rebuilds. Needs root for apt-get (it installs its own build tools and adds a
# deb-src entry for the configured Debian mirror when none exists). About 7 minutes on 2 cores.
set -euo pipefail

HOST=x86_64-w64-mingw32
PREFIX=${CUDAUP_MINGW_PREFIX:-/opt/cudaup-mingw}
WORK=${CUDAUP_MINGW_WORK:-/var/tmp/cudaup-mingw-work}
JOBS=${CUDAUP_MINGW_JOBS:-2}
HERE=$(cd "$(dirname "$0")" && pwd)
SELF="$HERE/$(basename "$0")"
TOOLCHAIN="$HERE/toolchain-mingw64.cmake"
STAMP="$PREFIX/.cudaup-mingw-stamp"
SOURCES="libffi pcre2 gettext glib2.0 jansson"
TOOLS="gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 mingw-w64-x86-64-dev libz-mingw-w64-dev
  meson ninja-build cmake pkg-config make perl python3 dpkg-dev xz-utils ca-certificates"
DEB_SRC_BASE=/etc/apt/sources.list.d/cudaup-deb-src

mode=build
case "${1:-}" in
--check) mode=check ;;
--force) mode=force ;;
"") ;;
*)
  echo "usage: $0 [--check|--force]" >&2
  exit 2
  ;;
esac

log() { printf '== mingw-deps: %s\n' "$*"; }

# Runs one named step and prints how long it took.
step() {
  local name=$1 start=$SECONDS
  shift
  log "$name"
  "$@"
  log "$name done in $((SECONDS - start)) s"
}

need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "build-deps.sh: $1 needs root; run as root (sudo $0)" >&2
    exit 2
  fi
}

ensure_tools() {
  local missing=""
  for p in $TOOLS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
      missing="$missing $p"
  done
  [ -z "$missing" ] && return 0
  need_root "installing$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  # shellcheck disable=SC2086 # one word per package
  apt-get install -y --no-install-recommends $missing
}

has_deb_src() {
  grep -Eqs '^[[:space:]]*(deb-src[[:space:]]|Types:.*deb-src)' /etc/apt/sources.list \
    /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources
}

# A deb-src twin of every Debian "deb" entry, in the form (one-line or deb822) it was found in.
ensure_deb_src() {
  has_deb_src && return 0
  need_root "adding a deb-src entry"
  local lists="" sources="" f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] && lists+=$(sed -n -E '/debian/s/^[[:space:]]*deb[[:space:]]/deb-src /p' "$f")$'\n'
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && sources+=$(awk 'BEGIN { RS = ""; ORS = "\n\n" }
      /Types:[^\n]*deb/ && /URIs:[^\n]*debian/ && !/Enabled: *no/ {
        sub(/Types:[^\n]*/, "Types: deb-src"); print }' "$f")$'\n\n'
  done
  sources=$(printf '%s' "$sources" | sed '/./,$!d')
  if [ -z "$lists$sources" ]; then
    echo "build-deps.sh: no Debian 'deb' entry in /etc/apt; add a deb-src entry for it" >&2
    exit 1
  fi
  lists=$(printf '%s' "$lists" | sed '/^$/d')
  [ -n "$lists" ] && printf '%s\n' "$lists" >"$DEB_SRC_BASE.list"
  [ -n "$sources" ] && printf '%s\n' "$sources" >"$DEB_SRC_BASE.sources"
  log "added deb-src entries as $DEB_SRC_BASE.*"
  apt-get update
}

# The .dsc file names apt would fetch (name_version.dsc), one per line; they name the versions.
dsc_names() {
  # shellcheck disable=SC2086 # one word per package
  apt-get source --print-uris $SOURCES 2>/dev/null | awk '$2 ~ /\.dsc$/ { print $2 }' | sort
}

compute_key() {
  local dscs
  dscs=$(dsc_names)
  if [ "$(printf '%s\n' "$dscs" | grep -c '\.dsc$')" -ne "$(wc -w <<<"$SOURCES")" ]; then
    need_root "refreshing apt's source lists"
    apt-get update >/dev/null
    dscs=$(dsc_names)
  fi
  {
    sha256sum "$SELF" "$TOOLCHAIN" | cut -d' ' -f1
    "$HOST-gcc" --version | head -n1
    dpkg-query -W -f='${Version}\n' mingw-w64-x86-64-dev libz-mingw-w64-dev
    printf '%s\n' "$dscs"
  }
}

# Downloads source package $1 into the current directory: apt's candidate first, then the
# older versions apt knows of (this archive has answered 404 for some security updates).
download_source() {
  local p=$1 v
  apt-get source --download-only "$p" && return 0
  for v in $(apt-cache showsrc "$p" | awk -v p="$p" '/^Package:/ { ok = ($2 == p) }
             ok && /^Version:/ { print $2 }' | sort -rV); do
    rm -f ./*
    log "$p: candidate failed to download, trying $v"
    apt-get source --download-only "$p=$v" && return 0
  done
  echo "build-deps.sh: no version of the Debian source package $p could be downloaded" >&2
  return 1
}

fetch_sources() {
  local p dsc opts
  rm -rf "$WORK/src"
  for p in $SOURCES; do
    mkdir -p "$WORK/src/dl/$p" && cd "$WORK/src/dl/$p"
    download_source "$p" >"../$p.log" 2>&1 || {
      cat "../$p.log" >&2
      return 1
    }
    dsc=$(ls ./*.dsc)
    opts=""
    # Debian's gettext patches touch Makefile.am/configure.ac, so make would rerun automake
    # 1.16 (not installed); the patches only concern Linux hardening and link order.
    [ "$p" = gettext ] && opts="--skip-patches"
    dpkg-source --no-check $opts -x "$dsc" "$WORK/src/$p" >/dev/null
    log "source ${dsc#./}"
    echo "${dsc#./}" >>"$WORK/versions"
  done
}

write_cross_file() {
  cat >"$WORK/cross-mingw64.ini" <<EOF
[binaries]
c = '$HOST-gcc'
ar = '$HOST-ar'
strip = '$HOST-strip'
windres = '$HOST-windres'
# meson 1.0 reads 'pkgconfig'; the 'pkg-config' spelling is meson >= 1.3 and ignored here.
pkgconfig = 'pkg-config'
[properties]
pkg_config_libdir = ['$PREFIX/lib/pkgconfig', '/usr/$HOST/lib/pkgconfig']
[built-in options]
c_args = ['-I$PREFIX/include']
c_link_args = ['-L$PREFIX/lib']
[host_machine]
system = 'windows'
cpu_family = 'x86_64'
cpu = 'x86_64'
endian = 'little'
EOF
}

# An autotools build of $WORK/src/$1 (sub directory $2, may be empty) with extra arguments.
autotools() {
  local name=$1 sub=$2
  shift 2
  local build="$WORK/build/$name"
  mkdir -p "$build" && cd "$build"
  "$WORK/src/$name/${sub:+$sub/}configure" --host=$HOST --prefix="$PREFIX" --enable-shared \
    --disable-static "$@" >configure.log
}

build_libffi() {
  autotools libffi "" --disable-docs --disable-multi-os-directory
  make -j"$JOBS" >/dev/null && make install >/dev/null
}

build_pcre2() {
  autotools pcre2 "" --enable-pcre2-8 --disable-pcre2-16 --disable-pcre2-32 --enable-jit \
    --disable-pcre2grep-libz --disable-pcre2grep-libbz2 --disable-pcre2test-libreadline
  make -j"$JOBS" >/dev/null && make install >/dev/null
}

# GLib 2.74 always needs an intl dependency (-Dnls=disabled does not drop it, and the
# fallback is a download-only wrap), so libintl comes from gettext-runtime/intl.
build_intl() {
  autotools gettext gettext-runtime --disable-java --disable-csharp --disable-c++ \
    --disable-libasprintf --disable-openmp --enable-threads=windows --without-libiconv-prefix \
    --without-libintl-prefix --without-emacs --without-git --without-cvs --without-bzip2 \
    --without-xz
  make -j"$JOBS" -C intl >/dev/null && make -C intl install >/dev/null
}

build_glib() {
  # GLib on Windows uses its built-in win_iconv, so no iconv library is needed.
  meson setup "$WORK/build/glib" "$WORK/src/glib2.0" --cross-file "$WORK/cross-mingw64.ini" \
    --prefix="$PREFIX" --libdir=lib --buildtype=release --wrap-mode=nodownload \
    -Dtests=false -Dinstalled_tests=false -Dgtk_doc=false -Dman=false -Dnls=disabled \
    -Dlibmount=disabled -Dselinux=disabled -Dxattr=false -Dsysprof=disabled \
    -Dlibelf=disabled -Ddtrace=false -Dsystemtap=false >"$WORK/glib-setup.log"
  ninja -C "$WORK/build/glib" -j"$JOBS" >/dev/null
  ninja -C "$WORK/build/glib" install >/dev/null
}

build_jansson() {
  cmake -S "$WORK/src/jansson" -B "$WORK/build/jansson" -G Ninja \
    -DCMAKE_TOOLCHAIN_FILE="$TOOLCHAIN" -DCUDAUP_MINGW_PREFIX="$PREFIX" \
    -DCMAKE_INSTALL_PREFIX="$PREFIX" -DCMAKE_BUILD_TYPE=Release -DJANSSON_BUILD_SHARED_LIBS=ON \
    -DJANSSON_BUILD_DOCS=OFF -DJANSSON_WITHOUT_TESTS=ON -DJANSSON_EXAMPLES=OFF >/dev/null
  ninja -C "$WORK/build/jansson" -j"$JOBS" install >/dev/null
}

build_all() {
  local key=$1
  rm -rf "$PREFIX" "$WORK"
  mkdir -p "$PREFIX" "$WORK/build"
  step sources fetch_sources
  write_cross_file
  export PKG_CONFIG=pkg-config
  export PKG_CONFIG_LIBDIR="$PREFIX/lib/pkgconfig:/usr/$HOST/lib/pkgconfig" # never host .pc files
  unset PKG_CONFIG_PATH
  step libffi build_libffi
  step pcre2 build_pcre2
  step libintl build_intl
  step glib build_glib
  step jansson build_jansson
  # The stamp is written last: a prefix without one is a broken build and is rebuilt.
  cp "$WORK/versions" "$PREFIX/.cudaup-mingw-sources"
  printf '%s\n' "$key" >"$STAMP"
  rm -rf "$WORK"
}

prefix_current() {
  [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$1" ]
}

main() {
  local start=$SECONDS key
  step tools ensure_tools
  ensure_deb_src
  key=$(compute_key)
  if [ "$mode" = check ]; then
    prefix_current "$key" && log "prefix $PREFIX is current" && exit 0
    log "prefix $PREFIX is missing or stale"
    exit 1
  fi
  need_root "building into $PREFIX"
  mkdir -p "$(dirname "$PREFIX")"
  # Two builds of the same prefix at once would interleave their installs; the second waits
  # and then finds the prefix current.
  exec 9>"$PREFIX.lock"
  flock 9
  if [ "$mode" != force ] && prefix_current "$key"; then
    log "prefix $PREFIX is current (reused)"
    exit 0
  fi
  build_all "$key"
  log "prefix $PREFIX built in $((SECONDS - start)) s"
}

main
