"""Validate JSON reports against a JSON Schema (SARIF 2.1.0 is draft-04, the
GitLab Code Quality schema draft-07; the validator follows the schema's $schema).

Usage: python3 validate_sarif.py SCHEMA FILE...   (exit 1 on the first invalid file)
"""
import json
import sys

import jsonschema

schema = json.load(open(sys.argv[1]))
validator = jsonschema.validators.validator_for(schema)(schema)
for path in sys.argv[2:]:
    errors = sorted(validator.iter_errors(json.load(open(path))), key=lambda e: list(e.path))
    if errors:
        for e in errors[:5]:
            print(f"{path}: {list(e.path)}: {e.message}")
        sys.exit(1)
print(f"{len(sys.argv) - 2} files valid")
