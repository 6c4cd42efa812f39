#!/usr/bin/env bash
# Builds hfx and runs every test: the C tests (ctest) in a Release build with warnings as errors,
# the Python tests (pytest, against pyhf where it is installed: the CLI's, and the Python module's on
# the extension this build stages in build/python), the benchmark suite's smoke run
# (pytest bench/), and the C tests again under
# AddressSanitizer + UndefinedBehaviorSanitizer. Tests that need ../shared (the published
# likelihoods and pyhf reference results) report themselves skipped when it is absent. Last, the
# rehearsal of the GPU machine's command (scripts/gpu-rehearsal.sh, docs/gpu.md), where nvcc is found.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)

echo "== build (Release, -Werror)"
# HFX_PYTHON: the Python module too (python/), for the interpreter the tests run under
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DHFX_WERROR=ON -DHFX_PYTHON=ON \
    -DPython_EXECUTABLE="$(command -v python3)" >/dev/null
cmake --build build -j"$jobs"

echo "== C tests"
(cd build && ctest --output-on-failure -j"$jobs")

echo "== Python tests (CLI and Python module against pyhf; pip install . from a clean clone)"
# HFX_REQUIRE_MODULE: the module's tests fail, rather than skip, if build/python does not import
export PYTHONPATH="$PWD/build/python${PYTHONPATH:+:$PYTHONPATH}"
HFX_BIN="$PWD/build/hfx" HFX_REQUIRE_MODULE=1 python3 -m pytest -q tests/python

echo "== Benchmark suite smoke run (pytest bench/: every engine and task, schema, plots, report)"
HFX_BUILD="$PWD/build" python3 -m pytest -q bench

echo "== C tests under AddressSanitizer + UndefinedBehaviorSanitizer"
# HFX_CUDA=OFF: the sanitizers instrument C only, and the CUDA runtime under ASan needs options of its own.
# HFX_MPI=OFF: this is also the build without MPI, whose shards, merges and resumes are tested below.
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DHFX_SANITIZE=address,undefined -DHFX_WERROR=ON -DHFX_CUDA=OFF \
    -DHFX_MPI=OFF >/dev/null
cmake --build build-asan -j"$jobs"
(cd build-asan && HFX_TEST_QUICK=1 ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j"$jobs")

echo "== Shards, merges, resumes and toy ranges in the build without MPI (under ASan + UBSan)"
HFX_BIN="$PWD/build-asan/hfx" HFX_TEST_QUICK=1 ASAN_OPTIONS=detect_leaks=1 python3 -m pytest -q tests/python/test_cli_shards.py

echo "== Fuzzing: each libFuzzer harness of tests/fuzz for ${HFX_FUZZ_SECONDS:-60} s (docs/robustness.md)"
if command -v clang >/dev/null; then
    cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHFX_FUZZ=ON -DHFX_CUDA=OFF -DHFX_MPI=OFF \
        -DHFX_BUILD_TESTS=OFF -DHFX_WERROR=ON >/dev/null
    fuzz_targets=(fuzz-workspace fuzz-json-patch fuzz-patchset fuzz-rootfile fuzz-xml)
    # fuzz-json: the fast JSON path against jansson, where the build has simdjson
    # (the target list read whole first: grep -q would close the pipe early, and with pipefail the
    # SIGPIPE cmake gets would make the test false)
    fuzz_help=$(cmake --build build-fuzz --target help)
    if grep -q 'fuzz-json$' <<<"$fuzz_help"; then
        fuzz_targets+=(fuzz-json)
    fi
    cmake --build build-fuzz -j"$jobs" --target "${fuzz_targets[@]}"
    tests/fuzz/run.sh build-fuzz "${HFX_FUZZ_SECONDS:-60}"
else
    echo "skipped: clang not found (the harnesses need libFuzzer)"
fi

echo "== GPU device command rehearsal (scripts/gpu-rehearsal.sh: bundle, CUDA build with the -dev packages hidden, conformance, bench gpu-smoke, archive; docs/gpu.md)"
if command -v nvcc >/dev/null || [ -x /usr/local/cuda/bin/nvcc ]; then
    PATH=$PATH:/usr/local/cuda/bin scripts/gpu-rehearsal.sh
else
    echo "skipped: nvcc not found (the rehearsal builds the CUDA backend)"
fi
