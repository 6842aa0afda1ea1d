#!/usr/bin/env bash
# tests/main-job.sh - the main job on a machine that cannot reach NVIDIA's download server:
# build a mirror in NVIDIA's redist layout from this machine's CUDA 13.0 toolkit and cuDNN 9.19
# (once; it is cached, see tests/support/installmirror.h), serve it with nginx on 127.0.0.1 over
# HTTPS with a throwaway CA, and run `cudaup install --silent` from it into a fresh prefix. The
# install proves itself (libcudart and libcudnn loaded from the new tree, nvcc run and made to
# compile); a second run says "already installed". The demo tree is not made this machine's
# default toolkit (--env-scope none): `build/cli/cudaup env apply --prefix PREFIX` does that.
# Usage: tests/main-job.sh [BUILD_DIR] [PREFIX]   (defaults: build, BUILD_DIR/main-job/cuda-13.0)
set -euo pipefail
build=${1:-build}
prefix=${2:-$PWD/$build/main-job/cuda-13.0}
tool="$build/tests/mirror_tool"
[ -x "$tool" ] || { echo "main-job: $tool is not built; build with tests on (see README)" >&2; exit 2; }
mkdir -p "$(dirname "$prefix")"
# shellcheck disable=SC2016 # expanded by the inner shell, where mirror_tool has set them
exec "$tool" -- sh -c 'exec "$0" --catalog "$CUDAUP_MIRROR_CATALOG" install --silent \
  --cuda 13.0 --cudnn 9.19 --prefix "$1" --mirror "$CUDAUP_MIRROR_URL" \
  --cacert "$CUDAUP_MIRROR_CA" --cache "$2" --report "$1.report.json" --env-scope none' \
  "$build/cli/cudaup" "$prefix" "$(dirname "$prefix")/cache"
