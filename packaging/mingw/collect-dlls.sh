#!/usr/bin/env bash
# Copies the DLLs a cross-built Windows program needs next to it: every DLL it imports,
# transitively, that is found in the mingw prefix (packaging/mingw/build-deps.sh) or in
# Debian's mingw-w64 tree (zlib1.dll); Windows' own DLLs (KERNEL32, msvcrt, ...) are left out.
# With GLib come its gspawn-win64-helper programs, which g_spawn and GSubprocess run to start a
# child with redirected output (cudaup runs nvidia-smi and nvcc that way). Prints what it copied.
#
#   packaging/mingw/collect-dlls.sh EXE [PREFIX]     (PREFIX: $CUDAUP_MINGW_PREFIX or
#                                                    /opt/cudaup-mingw)
set -euo pipefail

exe=$1
prefix=${2:-${CUDAUP_MINGW_PREFIX:-/opt/cudaup-mingw}}
dest=$(dirname "$exe")
search=("$prefix/bin" /usr/x86_64-w64-mingw32/lib /usr/lib/gcc/x86_64-w64-mingw32/*-win32)

imports() {
  x86_64-w64-mingw32-objdump -p "$1" | awk '/DLL Name:/ { print $3 }'
}

find_dll() {
  local d
  for d in "${search[@]}"; do
    if [ -f "$d/$1" ]; then
      printf '%s\n' "$d/$1"
      return 0
    fi
  done
  return 1
}

declare -A seen=()
queue=("$exe")
while [ ${#queue[@]} -gt 0 ]; do
  file=${queue[0]}
  queue=("${queue[@]:1}")
  for dll in $(imports "$file"); do
    key=${dll,,}
    [ -n "${seen[$key]:-}" ] && continue
    seen[$key]=1
    # Not ours to ship: not found in the prefix or mingw's tree means a Windows DLL.
    path=$(find_dll "$dll") || continue
    cp "$path" "$dest/"
    echo "$dll"
    queue+=("$path")
    if [ "$key" = libglib-2.0-0.dll ]; then
      cp "$prefix"/bin/gspawn-win64-helper*.exe "$dest/"
      (cd "$prefix/bin" && ls gspawn-win64-helper*.exe)
    fi
  done
done
