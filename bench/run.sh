#!/usr/bin/env bash
# Benchmarks fwlint against ripgrep on the same trees, in the same run.
#
#   bench/run.sh [TREE...]
#
# Generates the synthetic monorepos (bench/gen_corpus.py, 10k and 100k files,
# seed 1) under $BENCH_DIR (default /tmp/fwlint-bench) unless present, then
# for each of them and each TREE given (real checkouts):
#   - medians (5 runs, 1 warm-up) of `fwlint check`,
#     `rg -c --no-messages 'torch|tensorflow'` and `rg --files`, run in turn
#     round by round (bench/interleave.py), and the ratios fwlint/rg taken
#     pair by pair within a round, then their median;
#   - fwlint on 1 thread vs the default (parallel speed-up);
#   - peak RSS of fwlint (/usr/bin/time -v).
# Then peak memory alone (one run each) on a tree of a few huge files, each
# just under fwlint's size cap for its kind (bench/huge_tree.py), and, with
# MILLION=1, on a generated tree of a million small files (about 8 GB of
# disk, some minutes to generate). With BASE=/path/to/an/older/fwlint, a
# second table times that binary against this one and rg in the same run.
# Needs rg (cargo install ripgrep), GNU time (apt-get install time) and
# python3. The reports go to stdout, which the timing discards: before
# b5a1fc6, `--output /dev/null` run as root put a regular file in place of
# /dev/null, and an older fwlint (BASE) still does. hyperfine ran each
# command's runs back to back, and on a shared machine the speed drifts
# between them; `hyperfine -N` stays the tool for timing one command by
# hand.
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

field() { # interleave JSON, command index, field -> the value
  python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['results'][int(sys.argv[2])][sys.argv[3]])" "$1" "$2" "$3"
}

timed() { # JSON -- COMMAND WORDS [-- COMMAND WORDS...]: timed in turn
  local json="$1"
  shift
  python3 bench/interleave.py --warmup 1 --runs "$runs" --json "$json" "$@"
}

echo "| tree | files | fwlint check | rg -c 'torch\|tensorflow' | rg --files | fwlint / rg -c | fwlint / rg --files | 1 thread | speed-up | peak RSS |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for tree in "${trees[@]}"; do
  json="$bench_dir/interleave.json"
  timed "$json" \
    -- "$fwlint" check "$tree" --format json \
    -- rg -c --no-messages 'torch|tensorflow' "$tree" \
    -- rg --files "$tree" \
    -- "$fwlint" check "$tree" --format json --threads 1
  f=$(field "$json" 0 median); r=$(field "$json" 1 median); w=$(field "$json" 2 median)
  one=$(field "$json" 3 median)
  # Ratios round by round: fwlint over each rg, 1 thread over the default.
  fr=$(field "$json" 1 first_over_this); fw=$(field "$json" 2 first_over_this)
  up=$(field "$json" 3 this_over_first)
  files=$(rg --files "$tree" | wc -l)
  # GNU time reports on stderr; fwlint's own exit status 1 is expected.
  rss=$( { /usr/bin/time -v "$fwlint" check "$tree" --format json; } 2>&1 >/dev/null \
    | awk '/Maximum resident/ {print $6}' || true)
  python3 - "$tree" "$files" "$f" "$r" "$w" "$one" "$fr" "$fw" "$up" "$rss" <<'PY'
import sys
tree, files = sys.argv[1], int(sys.argv[2])
f, r, w, one, fr, fw, up = map(float, sys.argv[3:10])
rss = sys.argv[10]
mib = f"{int(rss) / 1024:.0f} MiB" if rss.isdigit() else "?"
print(f"| {tree.rsplit('/', 1)[-1]} | {files:,} | {f:.3f} s | {r:.3f} s | {w:.3f} s | {fr:.2f}x | {fw:.2f}x | {one:.3f} s | {up:.2f}x | {mib} |")
PY
done

peak() { # peak RSS of one fwlint check, in MiB, and its wall time
  { /usr/bin/time -f '%M %e' "$fwlint" check "$1" --format json; } 2>&1 >/dev/null \
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
    json="$bench_dir/interleave-base.json"
    timed "$json" \
      -- "$fwlint" check "$tree" --format json \
      -- "$BASE" check "$tree" --format json \
      -- rg -c --no-messages 'torch|tensorflow' "$tree" \
      -- rg --files "$tree"
    python3 - "$tree" "$json" <<'PY'
import json, statistics, sys
tree, res = sys.argv[1], json.load(open(sys.argv[2]))["results"]
n, b, r, w = (x["median"] for x in res)
# Pair by pair: base over now, and now over each rg, within a round.
faster, nr, nw = res[1]["this_over_first"], res[2]["first_over_this"], res[3]["first_over_this"]
rounds = zip(res[1]["times"], res[2]["times"])
br = statistics.median(x / y for x, y in rounds)
print(f"| {tree.rsplit('/', 1)[-1]} | {b:.3f} s | {n:.3f} s | {faster:.2f}x | {r:.3f} s | {w:.3f} s | {br:.2f}x | {nr:.2f}x | {nw:.2f}x |")
PY
  done
fi
