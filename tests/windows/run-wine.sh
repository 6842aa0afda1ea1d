#!/usr/bin/env bash
# Runs a cross-built Windows test under Wine, headless, in a throwaway WINEPREFIX.
#
#   run-wine.sh gtest EXE      a GTest program (exit status decides)
#   run-wine.sh envstore EXE   tests/windows/test_envstore.c: every scenario, step by step,
#                              with `wineserver -w` between steps so that each check reads the
#                              registry as saved to the prefix's files; the .reg files and a
#                              new cmd.exe are checked too
#
# CUDAUP_MINGW_PREFIX (the DLLs), CUP_WINE and CUP_WINESERVER come from tests/windows/CMake.
set -euo pipefail

mode=$1
exe=$2
mingw_prefix=${CUDAUP_MINGW_PREFIX:-/opt/cudaup-mingw}

# The GLib DLLs are found through Wine's search path: Z: is the Unix root.
WINEPATH="Z:${mingw_prefix//\//\\}\\bin"
export WINEPATH

# shellcheck source=tests/windows/wine-env.sh
. "$(dirname "$0")/wine-env.sh"
start=$wine_start

if [ "$mode" = gtest ]; then
  # A program that ends within a second or so meets the start-up race above; a second one
  # that lives 2 s lets Wine's services finish starting, so the server stops cleanly.
  "$WINE" cmd.exe /c 'ping -n 3 127.0.0.1 >nul' &
  keeper=$!
  rc=0
  "$WINE" "$exe" --tap || rc=$?
  wait "$keeper" || true
  exit "$rc"
fi

failed=0
fail() {
  echo "FAIL: $*"
  failed=$((failed + 1))
}

# The value line of NAME in the Environment key of scenario $1's scope, as Wine saved it.
reg_line() {
  local file=$WINEPREFIX/user.reg key='[Environment]'
  if [ "$1" = system-expand ]; then
    file=$WINEPREFIX/system.reg
    key='[System\\\\CurrentControlSet\\\\Control\\\\Session Manager\\\\Environment]'
  fi
  awk -v key="$key" -v name="\"$2\"=" '
    /^\[/ { inside = index($0, key) == 1 }
    inside && index($0, name) == 1 { print }' "$file"
}

# After apply: the types as saved on disk (str(2): is REG_EXPAND_SZ, a plain string REG_SZ).
check_reg_files() {
  local s=$1 path cuda
  path=$(reg_line "$s" Path)
  cuda=$(reg_line "$s" CUDA_PATH)
  case $s in
  korean) [[ $path == '"Path"="'* ]] || fail "$s: Path is not REG_SZ on disk: $path" ;;
  not-string) [[ $path == '"Path"=dword:0000002a' ]] || fail "$s: Path on disk: $path" ;;
  limit) [ -z "$cuda" ] || fail "$s: a refused apply wrote $cuda" ;;
  *) [[ $path == '"Path"=str(2):"'* ]] || fail "$s: Path is not REG_EXPAND_SZ on disk: $path" ;;
  esac
  if [ "$s" != limit ] && [[ $cuda != '"CUDA_PATH"="'* ]]; then
    fail "$s: CUDA_PATH is not a REG_SZ on disk: $cuda"
  fi
}

# A new terminal sees the applied environment (Wine builds it from the registry): CUDA_PATH,
# and the user Path, after the system one, with %USERPROFILE% expanded (REG_EXPAND_SZ kept).
check_new_cmd() {
  local out want
  out=$(cd "$work" && "$WINE" cmd.exe /c 'echo %CUDA_PATH%^|%PATH%' | tr -d '\r')
  want='C:\cudaup-test\CUDA\v13.0|*;C:\cudaup-test\CUDA\v13.0\bin;C:\cudaup-test\CUDA\v13.0\libnvvp;'
  want+='C:\users\*\AppData\Local\Microsoft\WindowsApps;'
  want=${want//\\/\\\\} # a backslash in a pattern escapes; these are literal
  # shellcheck disable=SC2053 # $want is a glob pattern
  [[ $out == $want ]] || fail "user: a new cmd.exe sees CUDA_PATH|PATH = $out"
  settle
}

# Each group runs in one process; `wineserver -w` after each group saves the registry to the
# prefix's files, and the next group (a new process) reads it back from them.
groups="seed,apply check-applied,apply-again check-applied,remove check-removed"
for s in $("$WINE" "$exe" --list | tr -d '\r'); do
  t=$SECONDS
  for group in $groups; do
    if ! (cd "$work" && "$WINE" "$exe" "$s" "$group" | tr -d '\r'); then
      fail "$s $group"
    fi
    settle
    if [ "$group" = seed,apply ]; then
      check_reg_files "$s"
      if [ "$s" = user ]; then check_new_cmd; fi
    fi
  done
  echo "scenario $s: $((SECONDS - t)) s"
done

echo "envstore under Wine: $failed failure(s) in $((SECONDS - start)) s"
[ "$failed" -eq 0 ]
