#!/usr/bin/env bash
# Builds the CUDA emulator (see emulator.cpp) into one shared object and links it under the names GanDsl's
# CUDA library resolver looks for. Needs g++ (C++17). Then run the GPU tests on the CPU with:
#   GANDSL_CUDA_LIB_DIR=<output-dir> dotnet test tests/GanDsl.Runtime.Tests -c Release \
#     --filter "FullyQualifiedName~GanDsl.Tests.Cuda.Cuda&FullyQualifiedName!~CudaProbe"
#
#   tests/cuda-emulator/build.sh [output-dir]        (default: artifacts/cuda-emulator)
#
# GANDSL_EMULATOR_VERBOSE=1 makes it say how many nodes each captured graph has; =nodes also lists them.
# GANDSL_EMULATOR_SCHEDULE=early runs work on side streams as early as its dependencies allow (default: as late).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/../../artifacts/cuda-emulator}"
mkdir -p "$out"
g++ -std=c++17 -O2 -fPIC -shared -Wall -Wno-unused-parameter -o "$out/libgandsl-cuda-emulator.so" "$here/emulator.cpp" -ldl
for name in libcuda.so.1 libnvrtc.so.13 libcublas.so.13; do
    ln -sf libgandsl-cuda-emulator.so "$out/$name"
done
echo "$(cd "$out" && pwd)"
