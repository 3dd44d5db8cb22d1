#!/usr/bin/env bash
# The whole GPU check in one command, for a CUDA machine with no .NET SDK (the device machine):
#
#   scripts/gpu-check.sh [tests|bench|pytorch ...]      (default: all three, in that order)
#
# Needs artifacts/gpu-pack.tar.gz from scripts/pack-gpu.sh --tar (made on a machine with the SDK) and, for
# the PyTorch rows, python3 with torch. Writes at most 8 files to $OUT (else ./gpu-results):
#   summary.txt            the GPU, where libcuda/libnvrtc/libcublas were found, each phase's exit code and time
#   tests/gpu-tests.log    the GanDsl.Tests.Cuda tests (parity, graph replay, training on the GPU)
#   tests/gpu-tests.xml    the same as xUnit XML
#   gandsl.csv, gandsl.log GanDsl's step and epoch timings (bench --csv --epoch), their details, and --profile
#   pytorch.csv, pytorch.log  bench/pytorch/gan_step.py, eager and torch.compile, the same columns
#   table.md               bench/pytorch/compare.py's table of both, for BENCHMARKS.md
# Each phase has its own time limit (GANDSL_TESTS_S, GANDSL_BENCH_S, GANDSL_PYTORCH_S seconds: 240, 180, 420),
# so one that hangs cannot take the others' time. On the device machine (10 minutes a command) run it as two
# commands on the same warm machine, `scripts/gpu-check.sh tests bench` then `scripts/gpu-check.sh pytorch`;
# $OUT starts empty for each, so make the table where both calls' files land:
#   python3 bench/pytorch/compare.py gandsl.csv pytorch.csv
set -uo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${OUT:-$repo/gpu-results}"
mkdir -p "$out/tests"
phases=("$@")
[[ ${#phases[@]} -gt 0 ]] || phases=(tests bench pytorch)
summary="$out/summary.txt"
: >"$summary"
note() { echo "$*" >>"$summary"; echo "$*" >&2; }

pack=/tmp/gandsl-gpu-pack
if [[ ! -d "$pack/gpu-pack" ]]; then
    [[ -f "$repo/artifacts/gpu-pack.tar.gz" ]] || { note "no artifacts/gpu-pack.tar.gz: run scripts/pack-gpu.sh --tar first (and carry it)"; exit 1; }
    mkdir -p "$pack" && tar -C "$pack" -xzf "$repo/artifacts/gpu-pack.tar.gz"
fi

if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader 2>&1 | sed 's/^/GPU: /' >>"$summary"
else
    echo "GPU: no nvidia-smi here" >>"$summary"
fi
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)' >>"$summary" 2>&1

run_phase() {   # run_phase NAME SECONDS COMMAND...
    local name="$1" limit="$2"; shift 2
    local start=$SECONDS
    timeout --kill-after=10 "$limit" "$@"
    local rc=$?
    note "phase $name: exit $rc after $((SECONDS - start)) s (limit $limit s)"
}

for phase in "${phases[@]}"; do
    case "$phase" in
        tests)
            # The test runner's own output goes to tests/; the .trx copy is dropped (the 8-file limit).
            OUT="$out/tests" run_phase tests "${GANDSL_TESTS_S:-240}" bash "$pack/gpu-pack/run-tests.sh" >"$out/tests.raw" 2>&1
            rm -f "$out/tests/gpu-tests.trx"
            # Where the CUDA libraries were found (env.sh prints it before the tests start), then the totals.
            sed '/^== CUDA libraries/,/^results in/!d' "$out/tests.raw" | head -30 >>"$summary"
            rm -f "$out/tests.raw"
            grep -E 'Total:' "$out/tests/gpu-tests.log" 2>/dev/null >>"$summary"
            grep -m1 'No usable NVIDIA GPU' "$out/tests/gpu-tests.log" >>"$summary" 2>/dev/null
            grep -E '\[FAIL\]' "$out/tests/gpu-tests.log" 2>/dev/null | head -60 >>"$summary"
            ;;
        bench)
            OUT="$out/bench-tmp" run_phase bench "${GANDSL_BENCH_S:-180}" bash "$pack/gpu-pack/run-bench.sh" --csv --epoch >"$out/gandsl.raw" 2>&1
            grep -E '^(framework,|gandsl,)' "$out/gandsl.raw" | awk '!(/^framework,/ && seen++)' >"$out/gandsl.csv"
            grep -vE '^gandsl,' "$out/gandsl.raw" >"$out/gandsl.log"
            # Where a step's time goes on the GPU: each part eager and as a graph, with its node count.
            OUT="$out/bench-tmp" run_phase profile "${GANDSL_PROFILE_S:-90}" bash "$pack/gpu-pack/run-bench.sh" --profile >>"$out/gandsl.log" 2>&1
            rm -rf "$out/gandsl.raw" "$out/bench-tmp"
            cat "$out/gandsl.csv" >>"$summary"
            ;;
        pytorch)
            # The rows GanDsl's --csv --epoch prints: the seed GAN's step at 64, 256, 1024; the DCGAN's at 256;
            # the seed GAN's epoch at 64. torch.compile compiles each (model, batch) anew: tens of seconds each.
            : >"$out/pytorch.csv"
            : >"$out/pytorch.log"
            limit="${GANDSL_PYTORCH_S:-420}"
            for run in "--model mlp" "--model dcgan --batch 256" "--model mlp --epoch"; do
                # shellcheck disable=SC2086
                run_phase "pytorch $run" $((limit / 3)) env PYTHONUNBUFFERED=1 \
                    python3 "$repo/bench/pytorch/gan_step.py" $run --mode eager compile cudagraph --csv \
                    >>"$out/pytorch.csv" 2>>"$out/pytorch.log"
            done
            cat "$out/pytorch.csv" >>"$summary"
            ;;
        *) note "unknown phase $phase (tests, bench or pytorch)" ;;
    esac
done

if [[ -s "$out/gandsl.csv" || -s "$out/pytorch.csv" ]]; then
    python3 "$repo/bench/pytorch/compare.py" "$out"/gandsl.csv "$out"/pytorch.csv >"$out/table.md" 2>>"$summary" || true
fi
note "done; results in $out"
