# Validates CycloneDX JSON documents against the official 1.6 schema (as shipped in
# @cyclonedx/cyclonedx-library/res/schema) with jsonschema. Usage: validate_cdx.py SCHEMA_DIR FILE…
# Prints one JSON list of error messages per file; exit 3 when jsonschema is not installed.
import json
import sys

try:
    from jsonschema import Draft7Validator
    from referencing import Registry, Resource
except ImportError:
    sys.exit(3)

schemas = sys.argv[1]


def load(name):
    with open(f"{schemas}/{name}", encoding="utf-8") as f:
        return json.load(f)


bom = load("bom-1.6.SNAPSHOT.schema.json")
base = "http://cyclonedx.org/schema/"
registry = Registry().with_resources(
    (base + name, Resource.from_contents(load(name)))
    for name in ["spdx.SNAPSHOT.schema.json", "jsf-0.82.SNAPSHOT.schema.json"]
)
validator = Draft7Validator(bom, registry=registry, format_checker=Draft7Validator.FORMAT_CHECKER)
out = []
for path in sys.argv[2:]:
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    out.append([f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)])
print(json.dumps(out))
