"""The floor of a manifest check: jsonschema-rs alone validating a rex.json against the bundle.

Usage: python floor_jsonschema_rs.py BUNDLE MANIFEST. Prints the JSON pointers of the errors
(a JSON list) and exits 1 when there are any, else 0. No format checks, no other rule: what
any validator of the schema pays at least, measured beside rexport in the same run.
"""

import json
import sys

import jsonschema_rs


def main() -> int:
    with open(sys.argv[1], "rb") as fp:
        schema = json.load(fp)
    with open(sys.argv[2], "rb") as fp:
        instance = json.load(fp)
    validator = jsonschema_rs.validator_for(schema)
    if validator.is_valid(instance):
        print("[]")
        return 0
    pointers = ["".join(f"/{t}" for t in e.instance_path) for e in validator.iter_errors(instance)]
    print(json.dumps(sorted(set(pointers))))
    return 1


if __name__ == "__main__":
    sys.exit(main())
