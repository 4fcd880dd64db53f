"""Validates documents against offboard's JSON Schemas with the Python `jsonschema` package, an
implementation independent of the Rust code that generated the schemas (schemars).

stdin: a JSON list of {"name", "schema", "instance"}. stdout: one JSON line per case,
{"name", "schema_ok", "valid", "errors"}. Installed by scripts/setup-moto.sh into .venv.
"""

import json
import sys

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError


def main() -> None:
    for case in json.load(sys.stdin):
        schema = case["schema"]
        try:
            Draft202012Validator.check_schema(schema)
            schema_ok = True
        except SchemaError as err:
            print(json.dumps({"name": case["name"], "schema_ok": False, "valid": False, "errors": [str(err)[:500]]}))
            continue
        validator = Draft202012Validator(schema, format_checker=FormatChecker())
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(case["instance"])]
        print(json.dumps({"name": case["name"], "schema_ok": schema_ok, "valid": not errors, "errors": errors[:10]}))


if __name__ == "__main__":
    main()
