#!/usr/bin/env bash
# bench/plan.sh - wall time of `cudaup plan` (detect + catalog load with every manifest
# schema-checked and every vendored redistrib manifest hashed + planning), against `cudaup
# detect` alone in the same run, so the ratio shows what the catalog and the planner add.
# Target: cudaup plan under 20 ms, catalog load included, measured whole.
# Usage: bench/plan.sh [path/to/cudaup]
set -euo pipefail
cudaup=${1:-build/cli/cudaup}
[ -x "$cudaup" ] || { echo "bench: $cudaup is not built; build first (see README)" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "bench: skipped: hyperfine is not installed (apt-get install hyperfine)" >&2; exit 0; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
args="--log $out/log --cache $out/cache"
hyperfine --warmup 3 --runs 30 --export-csv "$out/r.csv" \
  --command-name "plan pytorch" "$cudaup plan --framework pytorch==2.1.2 --pci 10de:24e0 $args" \
  --command-name "plan toolkit" "$cudaup plan --cuda 12.4 --pci 10de:20b2 --driver 535.54.03 $args" \
  --command-name "detect" "$cudaup detect --log $out/log" >&2
awk -F, 'NR>1 { med[$1]=$4 }
  END {
    p = med["plan pytorch"] * 1000; t = med["plan toolkit"] * 1000; d = med["detect"] * 1000
    printf "cudaup plan (pytorch): median %.1f ms (target < 20 ms: %s)\n", p, (p < 20 ? "met" : "NOT met")
    printf "cudaup plan (toolkit, archives): median %.1f ms (target < 20 ms: %s)\n", t, (t < 20 ? "met" : "NOT met")
    printf "cudaup detect alone: median %.1f ms\n", d
    if (d > 0) printf "ratio plan/detect: %.2f (catalog + planning = %.1f ms)\n", p / d, p - d
  }' "$out/r.csv"
