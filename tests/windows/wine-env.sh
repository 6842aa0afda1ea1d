# Sourced by the scripts that run cross-built programs under Wine (run-wine.sh, cli-wine.sh):
# a throwaway WINEPREFIX, headless, booted; `settle` saves the registry to the prefix's files.
# Sets WINE, WINESERVER, WINEPREFIX, work (a temp directory) and wine_start (SECONDS at start).
# shellcheck shell=bash

WINE=${CUP_WINE:-wine}
WINESERVER=${CUP_WINESERVER:-wineserver}

export WINEDEBUG=-all
# A fresh prefix would otherwise offer to install Mono and Gecko; no menu entries either.
export WINEDLLOVERRIDES="mscoree=;mshtml=;winemenubuilder.exe=d"
unset DISPLAY WAYLAND_DISPLAY
WINEPREFIX=$(mktemp -d "${TMPDIR:-/tmp}/cudaup-wine.XXXXXX")
export WINEPREFIX
work=$(mktemp -d "${TMPDIR:-/tmp}/cudaup-wine-work.XXXXXX")
# Waits for the wineserver to exit, which saves the registry to the prefix's .reg files.
# Wine 8 sometimes never stops its own services (explorer.exe, rpcss.exe) when the last program
# ends while they are still starting up; the registry is saved by then (when the last program
# ended), so after 15 s the server is killed instead, and that is said.
settle() {
  if ! timeout 15 "$WINESERVER" -w; then
    echo "note: wineserver -w did not return within 15 s; killed the server"
    "$WINESERVER" -k 2>/dev/null || true
  fi
}
cleanup() {
  settle
  rm -rf "$WINEPREFIX" "$work"
}
trap cleanup EXIT

wine_start=$SECONDS
"$WINE" wineboot --init >/dev/null 2>&1
settle
echo "wine prefix ready in $((SECONDS - wine_start)) s ($("$WINE" --version))"
