#!/usr/bin/env python3
"""Writes a tree of many small broken files, each one a diagnostic, so that
the benchmark can show that malformed input costs no memory per file: a
hostile pull request can hold any number of them.

Each of the FOLDERS folders (default 2,000) is a unit of its own with a
broken pyproject.toml, plus 100 files, each broken for its kind: notebooks
that are not JSON, Kubernetes YAML with a bad indent, package.json cut
short, Python that is not UTF-8, requirements with bad lines. 202,000
files; 122,000 diagnostics (the notebooks, package.json files, Python and
pyproject.toml files; the YAML and requirements are read as far as they
go).

Usage: bench/broken_tree.py OUT_DIR [FOLDERS]
"""
import os
import sys

BROKEN = [
    ("notebook_{i}.ipynb", b'{"cells": [ {"cell_type": "code", "source": '),
    ("deploy_{i}.yaml", b"apiVersion: v1\nkind: Pod\n metadata:\n  name: x\n\t- bad\n"),
    ("app_{i}/package.json", b'{"dependencies": {"@tensorflow/tfjs": '),
    ("model_{i}.py", b"# -*- coding: utf-8 -*-\nimport torch\nx = '\xff\xfe\xfa'\n"),
    ("requirements-{i}.txt", b"torch==\n-r \n--index-url\ntensorflow>=<2\n"),
]


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    out = sys.argv[1]
    folders = int(sys.argv[2]) if len(sys.argv) == 3 else 2000
    for f in range(folders):
        unit = os.path.join(out, "units", f"unit_{f:05}")
        os.makedirs(unit, exist_ok=True)
        with open(os.path.join(unit, "pyproject.toml"), "wb") as fh:
            fh.write(b'[project\nname = "broken\ndependencies = ["torch"\n')
        for i in range(100 // len(BROKEN)):
            for name, body in BROKEN:
                path = os.path.join(unit, name.format(i=i))
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "wb") as fh:
                    fh.write(body)


if __name__ == "__main__":
    main()
