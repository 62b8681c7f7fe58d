#!/usr/bin/env bash
# Every test suite, in order: build, unit tests (SQLite and a throwaway
# PostgreSQL), integration tests against real `hydra` processes, the unit
# tests again under AddressSanitizer + UndefinedBehaviorSanitizer, and the
# libFuzzer targets. Prints one summary line at the end.
set -uo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
passed=0
failed=0
failures=()

stage() {
  local name=$1
  shift
  echo "=== $name"
  local t0=$SECONDS
  if "$@"; then
    passed=$((passed + 1))
    echo "=== $name: ok ($((SECONDS - t0)) s)"
  else
    failed=$((failed + 1))
    failures+=("$name")
    echo "=== $name: FAILED ($((SECONDS - t0)) s)"
  fi
}

build_main() {
  cmake -G Ninja -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null &&
    cmake --build build -j "$jobs" &&
    scripts/build-web.sh
}

unit_tests() {
  # The store, auth and catalog suites also run against PostgreSQL; the
  # limits suite against Redis.
  scripts/with-postgres.sh scripts/with-redis.sh ctest --test-dir build --output-on-failure -L unit -j "$jobs"
}

integration_tests() {
  # Two gateways share rate limits through Redis in the limits tests.
  scripts/with-redis.sh ctest --test-dir build --output-on-failure -L integration
}

# The web console in headless Chromium against a real `hydra serve`.
e2e_tests() {
  HYDRA_BINARY=build/bin/hydra node --test tests/e2e/*.test.mjs
}

asan_unit_tests() {
  cmake -G Ninja -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DHYDRA_SANITIZE=ON >/dev/null &&
    cmake --build build-asan -j "$jobs" &&
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      scripts/with-postgres.sh scripts/with-redis.sh ctest --test-dir build-asan --output-on-failure -L unit -j "$jobs"
}

fuzz() {
  CC=clang CXX=clang++ cmake -G Ninja -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DHYDRA_FUZZ=ON -DHYDRA_WERROR=OFF >/dev/null &&
    cmake --build build-fuzz -j "$jobs" --target fuzzers && scripts/run-fuzzers.sh build-fuzz/fuzz
}

stage build build_main
if [ "$failed" -eq 0 ]; then
  stage unit unit_tests
  stage integration integration_tests
  stage e2e e2e_tests
fi
stage asan-unit asan_unit_tests
stage fuzz fuzz

echo
[ "$failed" -eq 0 ] || echo "failed stages: ${failures[*]}"
echo "stages: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
