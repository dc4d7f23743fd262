"""Validate XML reports against an XSD (JUnit as Jenkins' xUnit plugin reads it).

Usage: python3 validate_xml.py SCHEMA.xsd FILE...   (exit 1 on the first invalid file)
"""
import sys

import xmlschema

schema = xmlschema.XMLSchema(sys.argv[1])
for path in sys.argv[2:]:
    errors = list(schema.iter_errors(path))
    if errors:
        for e in errors[:5]:
            print(f"{path}: {e.reason} at {e.path}")
        sys.exit(1)
print(f"{len(sys.argv) - 2} files valid")
