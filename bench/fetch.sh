#!/usr/bin/env bash
# bench/fetch.sh - cup_fetch_run (libcurl multi, SHA-256 while streaming, into the cache with
# fsync and an atomic rename) against `curl -s --cacert CA -o FILE URL` on the same ~300 MB
# archive of real files, served by nginx on 127.0.0.1 over HTTPS with a throwaway CA, in the
# same run: medians of 3, MB/s, the ratio (target >= 0.75) and the fetch's peak RSS (target
# < 64 MiB). Report only: a missed target prints MISSED and still exits 0.
# Usage: bench/fetch.sh [BUILD_DIR] [SIZE_MB]   (default build, 300; or $CUP_BENCH_FETCH_MB)
set -euo pipefail
build=${1:-build}
bench="$build/bench/fetch_bench"
[ -x "$bench" ] || { echo "bench: $bench is not built; build with tests on (see README)" >&2; exit 2; }
if [ -n "${2:-}" ]; then
  exec "$bench" --size-mb "$2"
fi
exec "$bench"
