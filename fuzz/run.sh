#!/usr/bin/env bash
# Fuzzes fwlint's extractors and its whole pipeline with cargo fuzz (libFuzzer).
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]     default: 600 s, every target
#
# Not needed by CI. Needs cargo-fuzz (`cargo install cargo-fuzz`); on a stable
# toolchain RUSTC_BOOTSTRAP=1 lets rustc take the -Z flags cargo fuzz passes.
# Seeds come from the fixtures (the `seeds` tool); the corpus grows in
# fuzz/corpus/TARGET, crashes land in fuzz/artifacts/TARGET. A crash found
# becomes a regression test in tests/ before it is fixed.
set -euo pipefail
cd "$(dirname "$0")"
per_target="${1:-600}"
shift || true
export RUSTC_BOOTSTRAP=1
if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo fuzz list)
fi
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
cargo fuzz build --sanitizer none
cargo run --quiet --release --example seeds -- ../fixtures corpus >/dev/null
mkdir -p logs
printf '%-14s %10s %12s %10s %s\n' target seconds runs coverage result
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  status=ok
  # -rss_limit_mb: a leak or blow-up is a finding too; -timeout: a hang is.
  cargo fuzz run --sanitizer none "$t" "corpus/$t" -- \
    -max_total_time="$per_target" -rss_limit_mb=2048 -timeout=10 -max_len=262144 \
    >"logs/$t.log" 2>&1 || status=CRASH
  runs=$(grep -o 'Done [0-9]* runs' "logs/$t.log" | grep -o '[0-9]*' | tail -1 || true)
  cov=$(grep -o 'cov: [0-9]*' "logs/$t.log" | tail -1 | grep -o '[0-9]*' || true)
  printf '%-14s %10s %12s %10s %s\n' "$t" "$per_target" "${runs:-?}" "${cov:-?}" "$status"
done
