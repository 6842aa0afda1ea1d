#!/usr/bin/env bash
# bench/wizard_start.sh - time from process start to the first window shown (mapped) for
# cudaup-wizard, on this machine's real root and on the laptop fixture (RTX 3070 Ti Laptop, no
# driver; the root of tests/wizard_fixtures.h), against an empty GTK 4 window
# (bench/gtk_window_bench) measured in the same run, under Xvfb. Both programs quit as soon as
# their window is mapped (the wizard through CUDAUP_WIZARD_EXIT_ON_MAP=1); hyperfine times the
# whole process. Target (issue 8): under 0.5 s. Prints medians and the ratio; never fails on time.
# Usage: bench/wizard_start.sh [BUILD_DIR]   (default: build)
set -euo pipefail
build=${1:-build}
wizard="$build/wizard/cudaup-wizard"
empty="$build/bench/gtk_window_bench"
for p in "$wizard" "$empty"; do
  [ -x "$p" ] || { echo "bench: $p is not built; build with GTK 4 (libgtk-4-dev, see README)" >&2; exit 2; }
done
command -v hyperfine >/dev/null || { echo "bench: skipped: hyperfine is not installed (apt-get install hyperfine)" >&2; exit 0; }
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  command -v xvfb-run >/dev/null && command -v dbus-run-session >/dev/null ||
    { echo "bench: skipped: no display and no xvfb-run/dbus-run-session (apt-get install xvfb dbus)" >&2; exit 0; }
  exec xvfb-run -a -s "-screen 0 1280x1024x24" dbus-run-session -- "$0" "$@"
fi

src=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# The laptop fixture root, as tests/wizard_fixtures.h builds it.
root="$out/laptop"
mkdir -p "$root/etc" "$root/proc" "$root/usr/share/misc" "$root/sys/bus/pci/devices"
printf '%s\n' 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"' 'NAME="Debian GNU/Linux"' \
  'VERSION_ID="12"' 'VERSION="12 (bookworm)"' 'ID=debian' >"$root/etc/os-release"
: >"$root/proc/modules"
ln -s "$src/tests/fixtures/pci.ids/pci.ids" "$root/usr/share/misc/pci.ids"
pci() { # bus vendor device class
  local d="$root/sys/devices/pci0000:00/$1"
  mkdir -p "$d"
  echo "$2" >"$d/vendor"; echo "$3" >"$d/device"; echo "$4" >"$d/class"
  echo 0x1043 >"$d/subsystem_vendor"; echo 0x16c2 >"$d/subsystem_device"
  ln -s "../../../devices/pci0000:00/$1" "$root/sys/bus/pci/devices/$1"
}
pci 0000:00:02.0 0x8086 0x9a49 0x030000
pci 0000:01:00.0 0x10de 0x24e0 0x030000
pci 0000:01:00.1 0x10de 0x228b 0x040300

export CUDAUP_WIZARD_EXIT_ON_MAP=1
real="$wizard --catalog $src/manifests"
# The fixture must not see this machine's toolkit through PATH or CUDA_HOME (as in the tests).
fixture="env -u CUDA_HOME PATH=/usr/bin:/bin HOME=$out $wizard --catalog $src/manifests --root $root"
for c in "$real" "$fixture" "$empty"; do
  $c >"$out/once" 2>&1 || { echo "bench: $c failed:" >&2; cat "$out/once" >&2; exit 1; }
  grep -h "mapped" "$out/once" | sed 's/^/in-process: /'
done
hyperfine --warmup 3 --runs 20 --export-csv "$out/r.csv" \
  --command-name "wizard (this machine)" "$real" \
  --command-name "wizard (laptop fixture)" "$fixture" \
  --command-name "empty GTK window" "$empty" >&2

# CSV columns: command,mean,stddev,median,user,system,min,max (seconds)
awk -F, 'NR>1 { med[$1]=$4 }
  END {
    r = med["wizard (this machine)"] * 1000; f = med["wizard (laptop fixture)"] * 1000
    e = med["empty GTK window"] * 1000
    printf "cudaup-wizard, this machine: median %.1f ms to the first window (target < 500 ms: %s)\n", r, (r < 500 ? "met" : "NOT met")
    printf "cudaup-wizard, laptop fixture: median %.1f ms to the first window (target < 500 ms: %s)\n", f, (f < 500 ? "met" : "NOT met")
    printf "empty GTK 4 window: median %.1f ms\n", e
    if (e > 0) printf "ratio wizard/empty window: %.2f (this machine, %.1f ms of its own), %.2f (laptop fixture, %.1f ms)\n", r / e, r - e, f / e, f - e
  }' "$out/r.csv"
