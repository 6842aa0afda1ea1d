#!/usr/bin/env bash
# Builds the C libraries cudaup needs for Windows x86_64 with Debian's mingw-w64 cross compiler,
# from Debian's own source packages, into a prefix outside the source tree (Debian ships no
# Windows builds of them). Two layers, each keyed and stamped on its own:
#   base  libffi, pcre2, gettext's libintl, GLib/GIO 2.74, jansson       (3.5 min measured)
#   net   OpenSSL 3.0 (libcrypto/libssl), liblzma, libarchive, libcurl (OpenSSL backend)
#                                                                         (6.5-9 min measured)
#
#   packaging/mingw/build-deps.sh [--check] [--force]
#
#   CUDAUP_MINGW_PREFIX  install prefix (default /opt/cudaup-mingw)
#   CUDAUP_MINGW_WORK    sources and build trees, deleted after a good build
#                        (default /var/tmp/cudaup-mingw-work)
#   CUDAUP_MINGW_JOBS    parallel jobs (default 2)
#
# A layer is reused when its stamp matches its key: the text of the functions that build it,
# the toolchain file, the compiler, the mingw-w64 and zlib packages and the Debian source
# versions. A stale base layer rebuilds the whole prefix; a stale or missing net layer is built
# into the existing prefix (so a GLib-only prefix is extended, not rebuilt). A prefix stamped by
# the earlier GLib-only version of this script is taken as a current base layer when everything
# else in its key still matches. --check exits 0 when both layers are current and 1 when not;
# --force rebuilds both. Needs root for apt-get (it installs its own build tools and adds a
# deb-src entry for the configured Debian mirror when none exists). From nothing 590 s on 2
# cores with -j2 (measured on the CI machine; more when other builds share it). The run time of
# every step and of the whole run is printed.
set -euo pipefail

HOST=x86_64-w64-mingw32
PREFIX=${CUDAUP_MINGW_PREFIX:-/opt/cudaup-mingw}
WORK=${CUDAUP_MINGW_WORK:-/var/tmp/cudaup-mingw-work}
JOBS=${CUDAUP_MINGW_JOBS:-2}
HERE=$(cd "$(dirname "$0")" && pwd)
TOOLCHAIN="$HERE/toolchain-mingw64.cmake"
STAMP="$PREFIX/.cudaup-mingw-stamp"
BASE_SOURCES="libffi pcre2 gettext glib2.0 jansson"
NET_SOURCES="openssl xz-utils libarchive curl"
# The hash of the GLib-only script whose stamp ($STAMP, kept for it) is adopted as a base layer.
LEGACY_SCRIPT_SHA=5df8484a996ea17bede934ffc3261a67ae6b71112ba5ba85bd230fa8ce533e1c
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

# The .dsc file names apt would fetch (name_version.dsc) for the packages named, one per line;
# they name the versions.
dsc_names() {
  apt-get source --print-uris "$@" 2>/dev/null | awk '$2 ~ /\.dsc$/ { print $2 }' | sort
}

# The .dsc names of the packages named, refreshing apt's lists once when one is missing.
versions_of() {
  local dscs
  dscs=$(dsc_names "$@")
  if [ "$(printf '%s\n' "$dscs" | grep -c '\.dsc$')" -ne $# ]; then
    need_root "refreshing apt's source lists"
    apt-get update >/dev/null
    dscs=$(dsc_names "$@")
  fi
  printf '%s\n' "$dscs"
}

# What every layer's key shares: the toolchain file, the compiler, mingw-w64 and zlib.
toolchain_key() {
  sha256sum "$TOOLCHAIN" | cut -d' ' -f1
  "$HOST-gcc" --version | head -n1
  dpkg-query -W -f='${Version}\n' mingw-w64-x86-64-dev libz-mingw-w64-dev
}

# The key of layer $1: the text of the functions that build it (so editing the rest of this
# script rebuilds nothing), the toolchain and its Debian source versions.
layer_key() {
  local fns sources
  case $1 in
  base)
    fns="write_cross_file autotools build_libffi build_pcre2 build_intl build_glib build_jansson"
    sources=$BASE_SOURCES
    ;;
  net)
    fns="autotools quiet build_openssl build_xz build_libarchive build_curl"
    sources=$NET_SOURCES
    ;;
  esac
  # shellcheck disable=SC2086 # one word per name
  {
    declare -f $fns | sha256sum | cut -d' ' -f1
    toolchain_key
    versions_of $sources
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

# Downloads and unpacks the Debian source packages named into $WORK/src/<name>.
fetch_sources() {
  local p dsc opts
  mkdir -p "$WORK/src"
  for p in "$@"; do
    rm -rf "$WORK/src/$p" "$WORK/src/dl/$p"
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

# Runs a command with its output in $WORK/logs/$1.log, shown (the end of it) when it fails.
quiet() {
  local name=$1 rc=0
  shift
  mkdir -p "$WORK/logs"
  "$@" >>"$WORK/logs/$name.log" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ]; then
    tail -n 40 "$WORK/logs/$name.log" >&2
    echo "build-deps.sh: $name failed (exit $rc); the whole log is $WORK/logs/$name.log" >&2
  fi
  return "$rc"
}

# libcrypto and libssl only: build_libs skips openssl.exe, the engines and the legacy provider,
# and LIBS=/INSTALL_LIBS= skip the static archives, which with `shared` OpenSSL 3.0 compiles a
# second time (266 s instead of 780 s on 2 cores). OpenSSL 3.0 knows no `no-docs`; install_dev
# installs none.
build_openssl() {
  mkdir -p "$WORK/build/openssl" && cd "$WORK/build/openssl"
  quiet openssl env -u CC -u CFLAGS perl "$WORK/src/openssl/Configure" mingw64 \
    --cross-compile-prefix=$HOST- --prefix="$PREFIX" --libdir=lib shared no-tests
  quiet openssl make -j"$JOBS" build_libs LIBS= INSTALL_LIBS=
  quiet openssl make install_dev LIBS= INSTALL_LIBS=
}

build_xz() {
  autotools xz-utils "" --disable-xz --disable-xzdec --disable-lzmadec --disable-lzmainfo \
    --disable-lzma-links --disable-scripts --disable-doc --disable-nls
  quiet xz make -j"$JOBS"
  quiet xz make install
}

# zlib (Debian's libz-mingw-w64) and liblzma only. Its one try_run (ZLIB_WINAPI) crashes
# Debian's cmake 3.25.1 when cross-compiling unless both cache variables are seeded; Debian's
# zlib1.dll is cdecl, so "not WINAPI" is the right answer.
build_libarchive() {
  local off="" o
  for o in OPENSSL MBEDTLS NETTLE CNG BZip2 LZ4 LZO ZSTD LIBB2 LIBXML2 EXPAT PCREPOSIX LibGCC \
    ICONV ACL XATTR TAR CPIO CAT TEST; do
    off="$off -DENABLE_$o=OFF"
  done
  # shellcheck disable=SC2086 # one word per option
  quiet libarchive cmake -S "$WORK/src/libarchive" -B "$WORK/build/libarchive" -G Ninja \
    -DCMAKE_TOOLCHAIN_FILE="$TOOLCHAIN" -DCUDAUP_MINGW_PREFIX="$PREFIX" \
    -DCMAKE_INSTALL_PREFIX="$PREFIX" -DCMAKE_BUILD_TYPE=Release \
    -DZLIB_WINAPI_EXITCODE=1 -DZLIB_WINAPI_EXITCODE__TRYRUN_OUTPUT= \
    -DENABLE_LZMA=ON -DENABLE_ZLIB=ON $off
  quiet libarchive ninja -C "$WORK/build/libarchive" -j"$JOBS" install
}

# The OpenSSL backend and zlib, nothing else. --disable-pthreads: Win32 threads for the
# threaded resolver, so libcurl-4.dll does not need libwinpthread-1.dll. There is no default
# trust store with OpenSSL on Windows: the program sets CURLOPT_CAINFO or CURLSSLOPT_NATIVE_CA.
build_curl() {
  autotools curl "" --with-openssl="$PREFIX" --with-zlib=/usr/$HOST --disable-pthreads \
    --without-brotli --without-zstd --without-libpsl --without-libidn2 --without-nghttp2 \
    --without-nghttp3 --without-ngtcp2 --without-libssh2 --without-libssh --without-librtmp \
    --without-libgsasl --disable-ldap --disable-ldaps --disable-manual --disable-docs
  quiet curl make -j"$JOBS"
  quiet curl make install
}

# Points the builds at the prefix's and mingw's .pc files, never the host's.
build_env() {
  export PKG_CONFIG=pkg-config
  export PKG_CONFIG_LIBDIR="$PREFIX/lib/pkgconfig:/usr/$HOST/lib/pkgconfig"
  unset PKG_CONFIG_PATH
}

# Builds layer $1 (with key $2) into the prefix. The stamp is written last: a layer without
# one is a broken build and is built again.
build_layer() {
  local layer=$1 key=$2
  rm -rf "$WORK" "$PREFIX/.cudaup-mingw-$layer.stamp"
  mkdir -p "$WORK/build"
  build_env
  if [ "$layer" = base ]; then
    # shellcheck disable=SC2086 # one word per package
    step sources fetch_sources $BASE_SOURCES
    write_cross_file
    step libffi build_libffi
    step pcre2 build_pcre2
    step libintl build_intl
    step glib build_glib
    step jansson build_jansson
  else
    # shellcheck disable=SC2086 # one word per package
    step sources fetch_sources $NET_SOURCES
    step openssl build_openssl
    step liblzma build_xz
    step libarchive build_libarchive
    step libcurl build_curl
  fi
  cp "$WORK/versions" "$PREFIX/.cudaup-mingw-$layer.sources"
  printf '%s\n' "$key" >"$PREFIX/.cudaup-mingw-$layer.stamp"
  rm -rf "$WORK"
}

layer_current() {
  local stamp="$PREFIX/.cudaup-mingw-$1.stamp"
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$2" ]
}

# A prefix built by the GLib-only script (its stamp: that script's hash, then the toolchain
# key and the base layer's Debian source versions) is a current base layer when all but the
# script hash still match: its build functions are the base layer's, unchanged.
legacy_base() {
  [ -f "$STAMP" ] && [ ! -f "$PREFIX/.cudaup-mingw-base.stamp" ] || return 1
  # shellcheck disable=SC2086 # one word per package
  [ "$(cat "$STAMP")" = "$(printf '%s\n' "$LEGACY_SCRIPT_SHA" "$(toolchain_key)" \
    "$(versions_of $BASE_SOURCES)")" ]
}

adopt_legacy_base() {
  legacy_base || return 0
  log "taking the GLib-only prefix $PREFIX as its base layer"
  cp "$PREFIX/.cudaup-mingw-sources" "$PREFIX/.cudaup-mingw-base.sources" 2>/dev/null || true
  printf '%s\n' "$1" >"$PREFIX/.cudaup-mingw-base.stamp"
}

main() {
  local start=$SECONDS base_key net_key
  step tools ensure_tools
  ensure_deb_src
  base_key=$(layer_key base)
  net_key=$(layer_key net)
  if [ "$mode" = check ]; then
    if { layer_current base "$base_key" || legacy_base; } && layer_current net "$net_key"; then
      log "prefix $PREFIX is current"
      exit 0
    fi
    log "prefix $PREFIX is missing, stale or incomplete"
    exit 1
  fi
  need_root "building into $PREFIX"
  mkdir -p "$(dirname "$PREFIX")"
  # Two builds of the same prefix at once would interleave their installs; the second waits
  # and then finds the prefix current.
  exec 9>"$PREFIX.lock"
  flock 9
  adopt_legacy_base "$base_key"
  if [ "$mode" = force ] || ! layer_current base "$base_key"; then
    rm -rf "$PREFIX"
    mkdir -p "$PREFIX"
    step "base layer" build_layer base "$base_key"
  else
    log "base layer of $PREFIX is current (reused)"
  fi
  if [ "$mode" = force ] || ! layer_current net "$net_key"; then
    step "net layer" build_layer net "$net_key"
  else
    log "net layer of $PREFIX is current (reused)"
  fi
  log "prefix $PREFIX ready in $((SECONDS - start)) s"
}

main
