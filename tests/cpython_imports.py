"""Reference import signals from CPython's own `ast`, for the differential test.

Usage: python3 cpython_imports.py ROOT OUT.json
Writes {"parsed": {relpath: [[line, module], ...]}, "failed": [relpath, ...]}
for every .py file under ROOT except site-packages.
"""
import ast
import json
import os
import sys
import warnings


def imports(tree):
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend([node.lineno, alias.name] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append([node.lineno, node.module])
    return sorted(out)


def main(root, dest):
    parsed, failed = {}, []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in ("site-packages", "__pycache__"))
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, root).replace(os.sep, "/")
            with open(path, "rb") as f:
                source = f.read()
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    tree = ast.parse(source, filename=rel)
            except (SyntaxError, ValueError):
                failed.append(rel)
                continue
            parsed[rel] = imports(tree)
    with open(dest, "w") as f:
        json.dump({"parsed": parsed, "failed": failed}, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
