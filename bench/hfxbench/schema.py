"""Validation of results files against bench/schema/results.schema.json (JSON Schema 2020-12)."""
import json
from pathlib import Path

SCHEMA = Path(__file__).resolve().parents[1] / "schema" / "results.schema.json"


def validate(doc):
    """Raises jsonschema.ValidationError (with the path of the offending field) if doc does not conform."""
    import jsonschema
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(doc)
