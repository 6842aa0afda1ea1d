#!/usr/bin/env bash
# bench/detect.sh - wall time of `cudaup detect` on this machine, against what a student does
# by hand to learn the same facts (lspci for the GPU, nvcc --version for the toolkit, grep in
# cudnn_version.h for cuDNN), measured in the same run with hyperfine.
# Target (issue: detection): cudaup detect under 50 ms. Prints a ratio; never fails on timing.
# Usage: bench/detect.sh [path/to/cudaup]
set -euo pipefail
cudaup=${1:-build/cli/cudaup}
[ -x "$cudaup" ] || { echo "bench: $cudaup is not built; build first (see README)" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "bench: skipped: hyperfine is not installed (apt-get install hyperfine)" >&2; exit 0; }

cuda_root=$(readlink -f /usr/local/cuda 2>/dev/null || echo /usr/local/cuda)
manual="lspci -nn -d 10de: ; $cuda_root/bin/nvcc --version ; grep -E 'define CUDNN_(MAJOR|MINOR|PATCHLEVEL)' $cuda_root/include/cudnn_version.h"
command -v lspci >/dev/null || manual="${manual#lspci -nn -d 10de: ; }"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
hyperfine --warmup 3 --runs 30 --shell=bash --export-csv "$out/r.csv" \
  --command-name "cudaup detect" "$cudaup detect --log $out/log" \
  --command-name "cudaup detect --json" "$cudaup detect --json --log $out/log" \
  --command-name "manual recipe" "$manual >/dev/null 2>&1 || true" >&2

# CSV columns: command,mean,stddev,median,user,system,min,max (seconds)
awk -F, 'NR>1 { mean[$1]=$2; med[$1]=$4 }
  END {
    c = med["cudaup detect"] * 1000; m = med["manual recipe"] * 1000
    printf "cudaup detect: median %.1f ms (target < 50 ms: %s)\n", c, (c < 50 ? "met" : "NOT met")
    printf "cudaup detect --json: median %.1f ms\n", med["cudaup detect --json"] * 1000
    printf "manual recipe: median %.1f ms\n", m
    if (m > 0) printf "ratio cudaup/manual: %.2f\n", c / m
  }' "$out/r.csv"
