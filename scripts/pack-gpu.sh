#!/usr/bin/env bash
# Packs the runtime tests and the benchmark, with a .NET runtime to run them, into one folder that runs on a
# Linux x86-64 machine with an NVIDIA driver and CUDA libraries but no .NET SDK and no network.
#
#   scripts/pack-gpu.sh [--tar] [output-dir]      (default output: artifacts/gpu-pack)
#
# The folder holds tests/ and bench/ (framework-dependent, Release, linux-x64), dotnet/ (the host, hostfxr and
# Microsoft.NETCore.App copied from this machine's .NET install), env.sh, run-tests.sh, run-bench.sh and
# README.txt. --tar also writes <output-dir>.tar.gz and fails if it is 60 MB or more.
set -euo pipefail

usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; }

make_tar=false
out=""
for arg in "$@"; do
    case "$arg" in
        --tar) make_tar=true ;;
        -h|--help) usage; exit 0 ;;
        -*) echo "pack-gpu: unknown option $arg" >&2; usage >&2; exit 2 ;;
        *)
            if [[ -n "$out" ]]; then echo "pack-gpu: one output folder only" >&2; exit 2; fi
            out="$arg" ;;
    esac
done

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${out:-$repo/artifacts/gpu-pack}"
out="${out%/}"
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
tar_file="$out.tar.gz"
limit_bytes=$((60 * 1000 * 1000))
rid=linux-x64
marker=".gandsl-gpu-pack"

command -v dotnet >/dev/null || { echo "pack-gpu: dotnet (the .NET 10 SDK) is not on the PATH" >&2; exit 1; }

# A folder this script made before is replaced; anything else is left alone.
if [[ -e "$out" ]]; then
    if [[ -f "$out/$marker" || -z "$(ls -A "$out")" ]]; then
        rm -rf "$out"
    else
        echo "pack-gpu: $out exists and is not a GPU pack; remove it or name another folder" >&2
        exit 1
    fi
fi
mkdir -p "$out"
touch "$out/$marker"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# 1. The test project (xunit.v3: its output is a runner itself) and the benchmark, framework-dependent.
publish() {
    local project="$1" dest="$2"
    echo "== publishing $project -> $dest"
    dotnet publish "$repo/$project" -c Release -r "$rid" --self-contained false -p:UseAppHost=true \
        -o "$dest" -v quiet -nologo
}
publish tests/GanDsl.Runtime.Tests "$out/tests"
publish bench/GanDsl.Bench "$out/bench"

# What neither needs on linux-x64: Microsoft.CodeCoverage's collector for every OS (content files, not in
# deps.json), resource translations, XML documentation beside an assembly, other runtimes' native assets.
strip_published() {
    local dir="$1" d f
    rm -rf "$dir/CodeCoverage"
    for d in alpine ubuntu macos amd64 arm64 x64 x86; do
        if [[ -d "$dir/$d" ]] && ! grep -q "\"$d/" "$dir"/*.deps.json; then rm -rf "${dir:?}/$d"; fi
    done
    for d in "$dir"/*/; do
        d="${d%/}"
        # Satellite folders (cs, de, pt-BR, zh-Hans, ...): only *.resources.dll inside.
        if [[ "$(basename "$d")" =~ ^[a-z]{2}(-[A-Za-z]+)?$ ]] && \
           [[ -z "$(find "$d" -type f ! -name '*.resources.dll' -print -quit)" ]]; then
            rm -rf "$d"
        fi
    done
    for f in "$dir"/*.xml; do
        [[ -e "$f" && -e "${f%.xml}.dll" ]] && rm -f "$f"
    done
    if [[ -d "$dir/runtimes" ]]; then
        find "$dir/runtimes" -mindepth 1 -maxdepth 1 -type d ! -name "$rid" -exec rm -rf {} +
    fi
}
strip_published "$out/tests"
strip_published "$out/bench"

# Files both carry (GanDsl.Runtime, ScottPlot, SkiaSharp and its natives) are one file, hard-linked: the archive
# stores them once.
(cd "$out/tests" && find . -type f) | while read -r f; do
    if [[ -f "$out/bench/$f" ]] && cmp -s "$out/tests/$f" "$out/bench/$f"; then ln -f "$out/tests/$f" "$out/bench/$f"; fi
done

# 2. The runtime: the version the apps ask for (major.minor of their runtimeconfig.json), newest patch installed.
wanted="$(sed -n 's/.*"version": *"\([0-9][0-9]*\.[0-9][0-9]*\)\..*/\1/p' "$out/tests/GanDsl.Runtime.Tests.runtimeconfig.json" | head -n1)"
[[ -n "$wanted" ]] || { echo "pack-gpu: no framework version in the tests' runtimeconfig.json" >&2; exit 1; }
line="$(dotnet --list-runtimes | awk -v w="$wanted." '$1 == "Microsoft.NETCore.App" && index($2, w) == 1' | sort -k2,2V | tail -n1)"
[[ -n "$line" ]] || { echo "pack-gpu: no Microsoft.NETCore.App $wanted.x installed (dotnet --list-runtimes)" >&2; exit 1; }
version="$(awk '{print $2}' <<<"$line")"
shared="$(sed -n 's/.*\[\(.*\)\].*/\1/p' <<<"$line")/$version"
root="$(cd "$shared/../../.." && pwd)"
[[ -x "$root/dotnet" ]] || root="$(dirname "$(readlink -f "$(command -v dotnet)")")"
fxr="$(ls -1 "$root/host/fxr" | sort -V | tail -n1)"
echo "== runtime: Microsoft.NETCore.App $version, hostfxr $fxr, from $root"
mkdir -p "$out/dotnet/host/fxr" "$out/dotnet/shared/Microsoft.NETCore.App"
cp "$root/dotnet" "$out/dotnet/dotnet"
cp -r "$root/host/fxr/$fxr" "$out/dotnet/host/fxr/$fxr"
cp -r "$shared" "$out/dotnet/shared/Microsoft.NETCore.App/$version"
for f in LICENSE.txt ThirdPartyNotices.txt; do [[ -f "$root/$f" ]] && cp "$root/$f" "$out/dotnet/"; done

# 3-4. The scripts. env.sh: the carried runtime and where the CUDA libraries are.
cat >"$out/env.sh" <<'EOF'
# Sourced by run-tests.sh and run-bench.sh: the carried .NET runtime, a writable home, and the CUDA libraries.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

export DOTNET_ROOT="$here/dotnet"
export PATH="$here/dotnet:$PATH"          # `dotnet x.dll` (tests that start a sample) finds the carried host
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1  # no ICU needed
if [[ -z "${HOME:-}" ]] || ! mkdir -p "$HOME" 2>/dev/null || [[ ! -w "$HOME" ]]; then
    export HOME="$here/home"
fi
mkdir -p "$HOME"
export XDG_CACHE_HOME="${XDG_CACHE_HOME:-$HOME/.cache}"
mkdir -p "$XDG_CACHE_HOME"

results="${OUT:-$here/results}"
mkdir -p "$results"

# Where the CUDA libraries are: the linker cache, the CUDA toolkit, the driver's folder, Python's nvidia wheels.
echo "== CUDA libraries on this machine"
gandsl_ldconfig() { ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null || /usr/sbin/ldconfig -p 2>/dev/null || true; }
gandsl_ldconfig | grep -E 'libcuda|libnvrtc|libcublas' || echo "   (none in ldconfig -p)"
for d in /usr/local/cuda*/lib64 /usr/local/cuda*/targets/x86_64-linux/lib; do
    [[ -d "$d" ]] || continue
    ls "$d" 2>/dev/null | grep -E 'nvrtc|cublas' | sed "s|^|   $d/|" || true
done

gandsl_nvidia_dirs() {
    local py
    for py in python3 /opt/torch/.venv/bin/python3 /usr/bin/python3 /usr/local/bin/python3; do
        command -v "$py" >/dev/null 2>&1 || continue
        "$py" -c 'import nvidia, os; print("\n".join(p for p in getattr(nvidia, "__path__", [os.path.dirname(nvidia.__file__ or "")]) if p))' 2>/dev/null || true
    done
    ls -d /opt/torch/.venv/lib/python3*/site-packages/nvidia /usr/lib/python3*/dist-packages/nvidia \
          /usr/local/lib/python3*/dist-packages/nvidia /usr/local/lib/python3*/site-packages/nvidia 2>/dev/null || true
}

gandsl_found=()   # "major<TAB>folder" for each folder holding libnvrtc.so.N, libcublas.so.N or libcuda.so.1
gandsl_system=()  # the folders the loader searches anyway (from ldconfig)
gandsl_note() {   # gandsl_note FILE [system]: remember FILE's folder with the major version in its name
    local file="$1" name major dir
    [[ -e "$file" ]] || return 0
    name="$(basename "$file")"
    major="$(sed -n 's/^lib[a-z]*\.so\.\([0-9][0-9]*\).*/\1/p' <<<"$name")"
    [[ "$name" == libcuda.so* ]] && major=0   # the driver: any order; it is only searched for libcuda
    dir="$(cd "$(dirname "$file")" && pwd -P)"
    gandsl_found+=("${major:-0}	$dir")
    [[ "${2:-}" == system ]] && gandsl_system+=("$dir")
    return 0
}
while read -r path; do gandsl_note "$path" system; done < <(
    gandsl_ldconfig | sed -n 's/.*\(libnvrtc\.so\.[0-9][0-9.]*\|libcublas\.so\.[0-9][0-9.]*\|libcuda\.so\.1\) .*=> \(.*\)$/\2/p')
for f in /usr/local/cuda*/lib64/libnvrtc.so.* /usr/local/cuda*/lib64/libcublas.so.* \
         /usr/local/cuda*/targets/x86_64-linux/lib/libnvrtc.so.* /usr/local/cuda*/targets/x86_64-linux/lib/libcublas.so.* \
         /usr/local/nvidia/lib64/libcuda.so.1 /usr/local/nvidia/lib/libcuda.so.1; do
    gandsl_note "$f"
done
while read -r nv; do
    [[ -d "$nv" ]] || continue
    echo "   python nvidia packages: $nv"
    while read -r f; do
        echo "   $f"
        gandsl_note "$f"
    done < <(find "$nv" -maxdepth 4 \( -name 'libnvrtc.so.*' -o -name 'libcublas.so.*' \) ! -name '*builtins*' 2>/dev/null | sort)
done < <(gandsl_nvidia_dirs | sort -u)

# Newest major version first (the runtime tries the folders in order); each folder once.
gandsl_dirs="$(printf '%s\n' "${gandsl_found[@]+"${gandsl_found[@]}"}" | awk -F'\t' 'NF == 2 { print }' |
    sort -t$'\t' -k1,1nr -s | awk -F'\t' '!seen[$2]++ { print $2 }' | paste -sd: -)"
if [[ -z "${GANDSL_CUDA_LIB_DIR:-}" ]]; then
    if [[ -n "$gandsl_dirs" ]]; then export GANDSL_CUDA_LIB_DIR="$gandsl_dirs"; fi
fi
echo "GANDSL_CUDA_LIB_DIR=${GANDSL_CUDA_LIB_DIR:-(unset: no libnvrtc, libcublas or libcuda found)}"
# The same folders on the loader's path, so a bare-name load finds them too (GANDSL_PACK_NO_LD_PATH=1: not).
# Only folders outside the linker cache: those the loader searches anyway stay where they are in its order.
gandsl_ld="$(tr ':' '\n' <<<"$gandsl_dirs" | grep -vxF -f <(printf '%s\n' "${gandsl_system[@]+"${gandsl_system[@]}"}" /nonexistent) | paste -sd: - || true)"
if [[ -n "$gandsl_ld" && -z "${GANDSL_PACK_NO_LD_PATH:-}" ]]; then
    export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$gandsl_ld"
    echo "LD_LIBRARY_PATH+=$gandsl_ld"
fi
echo "results in $results"
if command -v nvidia-smi >/dev/null 2>&1; then
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | sed 's/^/GPU: /' || true
fi
EOF

cat >"$out/run-tests.sh" <<'EOF'
#!/usr/bin/env bash
# Runs the packed GanDsl.Runtime.Tests with the carried runtime; by default the GPU tests only (namespace
# GanDsl.Tests.Cuda). Extra arguments go to the xUnit.net v3 runner (--help lists them); a filter of your own
# (-namespace, -class, -method, -trait, -filter, -id, ...) replaces the default one, and --all runs every test.
# Results: $OUT (else ./results): gpu-tests.log, gpu-tests.xml (xUnit v2 XML), gpu-tests.trx.
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/env.sh"

filter=(-namespace GanDsl.Tests.Cuda)
args=()
for a in "$@"; do
    case "$a" in
        --all) filter=() ;;
        -namespace|-namespace-|-class|-class-|-method|-method-|-trait|-trait-|-filter|-id|-run) filter=(); args+=("$a") ;;
        *) args+=("$a") ;;
    esac
done

cd "$here/tests"
set +e
"$here/dotnet/dotnet" "$here/tests/GanDsl.Runtime.Tests.dll" -noColor "${filter[@]+"${filter[@]}"}" \
    -xml "$results/gpu-tests.xml" -trx "$results/gpu-tests.trx" "${args[@]+"${args[@]}"}" 2>&1 | tee "$results/gpu-tests.log"
rc=${PIPESTATUS[0]}
set -e
echo "run-tests: exit code $rc; results in $results"
exit "$rc"
EOF

cat >"$out/run-bench.sh" <<'EOF'
#!/usr/bin/env bash
# Runs the packed GanDsl.Bench with the carried runtime: arguments as for `dotnet run --project bench/GanDsl.Bench --`
# (--quick, --profile, or BenchmarkDotNet's: --filter '*', --list flat, --job short, ...). With no SDK here
# BenchmarkDotNet cannot build its usual child process, so --inProcess is added unless a toolchain is named.
# Output: $OUT (else ./results): bench.log and BenchmarkDotNet's artifacts under bench/.
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/env.sh"

extra=()
mode=bdn
for a in "$@"; do
    case "$a" in
        --quick|--profile|--csv|--list|--help|-h|--info|--version|"-?") mode=plain ;;
        -i|--inProcess|--runtimes|-r|--toolchain|--coreRun|--cli) mode=own ;;
    esac
done
if [[ "$mode" == bdn ]]; then
    extra+=(--inProcess)
    [[ " $* " == *" --artifacts "* ]] || extra+=(--artifacts "$results/bench")
fi

cd "$results"
set +e
"$here/dotnet/dotnet" "$here/bench/GanDsl.Bench.dll" "$@" "${extra[@]+"${extra[@]}"}" 2>&1 | tee "$results/bench.log"
rc=${PIPESTATUS[0]}
set -e
echo "run-bench: exit code $rc; output in $results"
exit "$rc"
EOF
chmod +x "$out/run-tests.sh" "$out/run-bench.sh"

# 5. What the folder is.
cat >"$out/README.txt" <<EOF
GanDsl GPU pack (made by scripts/pack-gpu.sh from commit $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown), $(date -u +%Y-%m-%d))

The GanDsl runtime tests and benchmark, built for Linux x86-64, with the .NET runtime they need
(Microsoft.NETCore.App $version, in dotnet/). Runs on a machine with an NVIDIA driver and CUDA
libraries but no .NET SDK and no network.

  bash run-tests.sh                 the GPU tests (namespace GanDsl.Tests.Cuda)
  bash run-tests.sh --all           every runtime test (some need MNIST: set GANDSL_DATA)
  bash run-tests.sh -method '*Probe*'   any xUnit.net v3 runner option (-list tests, -class ..., -stopOnFail)
  bash run-bench.sh --quick         the training steps timed with a Stopwatch loop
  bash run-bench.sh --filter '*TrainingStep*' --job short    BenchmarkDotNet, in process
  bash run-bench.sh --list flat     the benchmarks

Both first print where libcuda, libnvrtc and libcublas are (ldconfig, /usr/local/cuda*, Python's
nvidia/*/lib), and set GANDSL_CUDA_LIB_DIR (unless set) to those folders, ':'-separated, newest
CUDA first; the folders are also appended to LD_LIBRARY_PATH (GANDSL_PACK_NO_LD_PATH=1: not).
HOME defaults to ./home if unset or not writable, XDG_CACHE_HOME to \$HOME/.cache (the compiled
kernels' cache is \$XDG_CACHE_HOME/gandsl/kernels).

Results go to \$OUT if set, else ./results: gpu-tests.log, gpu-tests.xml (xUnit v2), gpu-tests.trx,
bench.log, bench/ (BenchmarkDotNet's reports).

Layout: tests/ (GanDsl.Runtime.Tests.dll, an xUnit.net v3 in-process runner), bench/ (GanDsl.Bench.dll),
dotnet/ (dotnet host, host/fxr, shared/Microsoft.NETCore.App), env.sh (sourced by both scripts).

Unpacked the folder is about $(du -sh "$out" | cut -f1); where only 64 MiB may travel, send the .tar.gz
(scripts/pack-gpu.sh --tar) and unpack it there: tar -C /tmp -xzf gpu-pack.tar.gz && bash /tmp/gpu-pack/run-tests.sh
EOF

# 6. Sizes, and the archive.
echo "== $out: $(du -sh "$out" | cut -f1) (tests $(du -sh "$out/tests" | cut -f1), bench $(du -sh "$out/bench" | cut -f1), dotnet $(du -sh "$out/dotnet" | cut -f1))"
if $make_tar; then
    rm -f "$tar_file"
    tar -C "$(dirname "$out")" -cf - "$(basename "$out")" | gzip -9 >"$tar_file"
    bytes="$(stat -c %s "$tar_file")"
    echo "== $tar_file: $(du -sh "$tar_file" | cut -f1) ($bytes bytes)"
    if (( bytes >= limit_bytes )); then
        echo "pack-gpu: $tar_file is $bytes bytes, over the limit of $limit_bytes (60 MB)" >&2
        exit 1
    fi
fi
