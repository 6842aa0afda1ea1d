#!/usr/bin/env bash
# bench/install.sh - `cudaup install --silent --cudnn 9.19.0` of the real cuDNN archive (built
# from this machine's CUDA tree, tests/support/installmirror.h) from nginx on 127.0.0.1 over
# HTTPS, download included, against decompressing it alone (`xz -dc`, `unzip -p`: the floor)
# and against the manual recipe (curl -o; sha256sum -c; tar -xJf / unzip into a staging dir;
# cp -P into the tree), in interleaved runs of the same session, for the Linux .tar.xz and the
# Windows .zip: medians, ratios (targets: install <= 1.10x the floor, recipe >= 1.4x install),
# bytes written (target <= 1.05x unpacked) and peak RSS (target < 64 MiB). Report only: a
# missed target prints MISSED and still exits 0. Takes about 5 minutes on 2 cores (plus about
# 2 minutes the first time, to build the mirror).
# Usage: bench/install.sh [BUILD_DIR] [RUNS] [linux|windows]
#        (default build, 5 runs (or $CUP_BENCH_INSTALL_RUNS), both archives)
set -euo pipefail
build=${1:-build}
bench="$build/bench/install_bench"
[ -x "$bench" ] || { echo "bench: $bench is not built; build with tests on (see README)" >&2; exit 2; }
args=()
[ -n "${2:-}" ] && args+=(--runs "$2")
[ -n "${3:-}" ] && args+=(--only "$3")
exec "$bench" "${args[@]}"
