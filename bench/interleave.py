#!/usr/bin/env python3
"""Times commands run in turn, round by round, and gives each one's median
and the median of its ratio to the first command, taken pair by pair.

    bench/interleave.py [--runs N] [--warmup N] [--json OUT] -- CMD [-- CMD...]

On a shared machine the speed drifts over minutes: hyperfine runs each
command's runs back to back, so two commands timed one after the other can
see different machines. Here every round runs every command once, and a
ratio is taken within a round. Each command is the words up to the next
`--` (no shell), its output is discarded, and an exit status other than 0
or 1 (fwlint's "findings") stops the run.
"""

import argparse
import json
import os
import statistics
import sys
import time


def run_once(argv):
    """Wall, user and system seconds of one run of argv."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        start = time.perf_counter()
        try:
            pid = os.posix_spawnp(
                argv[0],
                argv,
                dict(os.environ),
                file_actions=[
                    (os.POSIX_SPAWN_DUP2, devnull, 1),
                    (os.POSIX_SPAWN_DUP2, devnull, 2),
                ],
            )
        except OSError as e:
            sys.exit(f"interleave.py: cannot run `{argv[0]}`: {e.strerror}")
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - start
    finally:
        os.close(devnull)
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        sys.exit(f"interleave.py: `{' '.join(argv)}` exited with {code}")
    return wall, usage.ru_utime, usage.ru_stime


def commands(rest):
    """The commands after `--`, each the words up to the next `--`."""
    out, current = [], []
    for word in rest:
        if word == "--":
            if current:
                out.append(current)
            current = []
        else:
            current.append(word)
    if current:
        out.append(current)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--json", help="write the results here")
    args, rest = parser.parse_known_args()
    cmds = commands(rest)
    if not cmds or args.runs < 1:
        parser.error("give at least one command after --, and --runs >= 1")
    for _ in range(args.warmup):
        for argv in cmds:
            run_once(argv)
    rounds = [[run_once(argv) for argv in cmds] for _ in range(args.runs)]
    results = []
    for i, argv in enumerate(cmds):
        walls = [r[i][0] for r in rounds]
        results.append(
            {
                "command": " ".join(argv),
                "median": statistics.median(walls),
                "user": statistics.median(r[i][1] for r in rounds),
                "system": statistics.median(r[i][2] for r in rounds),
                "times": walls,
                # Ratios within a round, then their median.
                "first_over_this": statistics.median(r[0][0] / r[i][0] for r in rounds),
                "this_over_first": statistics.median(r[i][0] / r[0][0] for r in rounds),
            }
        )
    text = json.dumps({"runs": args.runs, "results": results}, indent=2)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    main()
