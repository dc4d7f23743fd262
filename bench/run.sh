#!/usr/bin/env bash
# Benchmarks fwlint against ripgrep on the same trees, in the same run.
#
#   bench/run.sh [TREE...]
#
# Generates the synthetic monorepos (bench/gen_corpus.py, 10k and 100k files,
# seed 1) under $BENCH_DIR (default /tmp/fwlint-bench) unless present, then
# for each of them and each TREE given (real checkouts):
#   - hyperfine medians (5 runs, 1 warm-up) of `fwlint check`,
#     `rg -c --no-messages 'torch|tensorflow'` and `rg --files`, and the
#     ratios fwlint/rg taken on medians;
#   - fwlint on 1 thread vs the default (parallel speed-up);
#   - peak RSS of fwlint (/usr/bin/time -v).
# Then peak memory alone (one run each) on a tree of a few huge files, each
# just under fwlint's size cap for its kind (bench/huge_tree.py), and, with
# MILLION=1, on a generated tree of a million small files (about 8 GB of
# disk, some minutes to generate). With BASE=/path/to/an/older/fwlint, a
# second table times that binary against this one and rg in the same run.
# Needs hyperfine (apt-get install hyperfine), rg (cargo install ripgrep),
# GNU time (apt-get install time) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
bench_dir="${BENCH_DIR:-/tmp/fwlint-bench}"
runs="${RUNS:-5}"
mkdir -p "$bench_dir"
cargo build --release --quiet
fwlint="$PWD/target/release/fwlint"

trees=()
for n in 10000 100000; do
  tree="$bench_dir/synth$n"
  if [ ! -f "$tree/EXPECTED.json" ]; then
    rm -rf "$tree"
    python3 bench/gen_corpus.py "$tree" --files "$n" --seed 1 -q
  fi
  trees+=("$tree")
done
trees+=("$@")

median() { # hyperfine JSON -> median seconds of command $2
  python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['results'][int(sys.argv[2])]['median'])" "$1" "$2"
}

timed() { # JSON COMMAND... -> hyperfine medians of the commands, run together
  local json="$1"
  shift
  # -i: fwlint exits 1 when it has findings, which is not a failure here.
  hyperfine -N -i --warmup 1 --runs "$runs" --export-json "$json" "$@" >/dev/null 2>&1
}

echo "| tree | files | fwlint check | rg -c 'torch\|tensorflow' | rg --files | fwlint / rg -c | fwlint / rg --files | 1 thread | speed-up | peak RSS |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for tree in "${trees[@]}"; do
  json="$bench_dir/hyperfine.json"
  timed "$json" \
    "$fwlint check $tree --format json --output /dev/null" \
    "rg -c --no-messages 'torch|tensorflow' $tree" \
    "rg --files $tree" \
    "$fwlint check $tree --format json --output /dev/null --threads 1"
  f=$(median "$json" 0); r=$(median "$json" 1); w=$(median "$json" 2); one=$(median "$json" 3)
  files=$(rg --files "$tree" | wc -l)
  # GNU time reports on stderr; fwlint's own exit status 1 is expected.
  rss=$( { /usr/bin/time -v "$fwlint" check "$tree" --format json --output /dev/null; } 2>&1 >/dev/null \
    | awk '/Maximum resident/ {print $6}' || true)
  python3 - "$tree" "$files" "$f" "$r" "$w" "$one" "$rss" <<'PY'
import sys
tree, files, f, r, w, one, rss = sys.argv[1], int(sys.argv[2]), *map(float, sys.argv[3:7]), sys.argv[7]
mib = f"{int(rss) / 1024:.0f} MiB" if rss.isdigit() else "?"
print(f"| {tree.rsplit('/', 1)[-1]} | {files:,} | {f:.3f} s | {r:.3f} s | {w:.3f} s | {f / r:.2f}x | {f / w:.2f}x | {one:.3f} s | {one / f:.2f}x | {mib} |")
PY
done

peak() { # peak RSS of one fwlint check, in MiB, and its wall time
  { /usr/bin/time -f '%M %e' "$fwlint" check "$1" --format json --output /dev/null; } 2>&1 >/dev/null \
    | awk 'END {printf "%.0f MiB in %s s", $1 / 1024, $2}'
}
echo
echo "| memory tree | files | fwlint peak RSS |"
echo "|---|---|---|"
huge="$bench_dir/huge"
[ -f "$huge/model.py" ] || python3 bench/huge_tree.py "$huge"
echo "| huge files (bench/huge_tree.py) | $(rg --files "$huge" | wc -l) | $(peak "$huge") |"
if [ "${MILLION:-0}" = 1 ]; then
  million="$bench_dir/synth1000000"
  if [ ! -f "$million/EXPECTED.json" ]; then
    rm -rf "$million"
    python3 bench/gen_corpus.py "$million" --files 1000000 --seed 1 --size-scale 0.05 --large-mb 0 -q
  fi
  echo "| synth1000000 (--size-scale 0.05) | $(rg --files "$million" | wc -l) | $(peak "$million") |"
fi

if [ -n "${BASE:-}" ]; then
  echo
  echo "| tree | base | now | faster | rg -c | rg --files | base / rg -c | now / rg -c | now / rg --files |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for tree in "${trees[@]}"; do
    json="$bench_dir/hyperfine-base.json"
    timed "$json" \
      "$BASE check $tree --format json --output /dev/null" \
      "$fwlint check $tree --format json --output /dev/null" \
      "rg -c --no-messages 'torch|tensorflow' $tree" \
      "rg --files $tree"
    python3 - "$tree" "$(median "$json" 0)" "$(median "$json" 1)" "$(median "$json" 2)" "$(median "$json" 3)" <<'PY'
import sys
tree, b, n, r, w = sys.argv[1], *map(float, sys.argv[2:6])
print(f"| {tree.rsplit('/', 1)[-1]} | {b:.3f} s | {n:.3f} s | {b / n:.2f}x | {r:.3f} s | {w:.3f} s | {b / r:.2f}x | {n / r:.2f}x | {n / w:.2f}x |")
PY
  done
fi
