#!/usr/bin/env bash
# Runs every libFuzzer target in DIR for a bounded time: 60 s for every
# parser of outside bytes (requests, templates, catalog files, model files,
# tokenizer files), less for the rest. Exits non-zero on any finding.
set -euo pipefail
dir=${1:?usage: run-fuzzers.sh DIR}
long=${HYDRA_FUZZ_LONG_SECONDS:-60}
short=${HYDRA_FUZZ_SHORT_SECONDS:-20}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for f in "$dir"/fuzz_*; do
  [ -x "$f" ] || continue
  name=$(basename "$f")
  case $name in
    fuzz_http_request | fuzz_wire_parse | fuzz_usage_scan | fuzz_jinja | fuzz_go_template | fuzz_modelhub_import | fuzz_model_listing | fuzz_gguf | fuzz_safetensors | fuzz_tokenizer) secs=$long ;;
    *) secs=$short ;;
  esac
  mkdir -p "$work/$name"
  seeds=tests/fuzz/corpus/${name#fuzz_}
  [ -d "$seeds" ] && cp "$seeds"/* "$work/$name/" 2>/dev/null || true
  echo "--- $name for ${secs}s"
  if ! "$f" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
      -artifact_prefix="$work/$name/" "$work/$name" >"$work/$name.log" 2>&1; then
    echo "$name found a problem:"
    tail -n 60 "$work/$name.log"
    status=1
  else
    grep -E "stat::number_of_executed_units|Done" "$work/$name.log" | tail -n 2
  fi
done
exit $status
