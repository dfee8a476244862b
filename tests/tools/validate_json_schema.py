#!/usr/bin/python3
"""Validate a JSON document against a JSON Schema, independently of the C code
that wrote it. The draft is the one the schema's "$schema" names (SARIF: draft
4, OpenLineage: 2020-12), draft 4 when it names none.

usage: validate_json_schema.py SCHEMA FILE

Prints every validation error with the JSON path of the offending value and
exits 1 if there is any, 0 if the document is valid, 2 on a usage error or a
file that is not JSON, and 3 when the jsonschema module is missing (callers
may skip then). Run it with Debian's /usr/bin/python3, which has
python3-jsonschema.

Formats "uri" and "uri-reference" are checked here against RFC 3986's
character set (jsonschema checks them only when rfc3987 is installed, and
Debian does not install it): every character must be unreserved, reserved
or part of a %XX escape, and a "uri" must start with a scheme. "date-time" is
checked against RFC 3339 section 5.6 (jsonschema needs rfc3339-validator for
it, which Debian does not install either).
"""
import json
import re
import sys

try:
    import jsonschema
except ImportError:
    print("validate_json_schema: python module jsonschema not available", file=sys.stderr)
    sys.exit(3)

_URI_CHARS = re.compile(r"^(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_DATE_TIME = re.compile(r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)"
                        r"(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$")


def _is_uri_reference(value):
    return not isinstance(value, str) or _URI_CHARS.match(value) is not None


def _is_uri(value):
    return not isinstance(value, str) or (_is_uri_reference(value) and _SCHEME.match(value) is not None)


def _is_date_time(value):
    return not isinstance(value, str) or _DATE_TIME.match(value) is not None


def _path(error):
    out = "$"
    for part in error.absolute_path:
        out += "[%d]" % part if isinstance(part, int) else "." + str(part)
    return out


def main(argv):
    if len(argv) != 3:
        print("usage: validate_json_schema.py SCHEMA FILE", file=sys.stderr)
        return 2
    try:
        with open(argv[1], encoding="utf-8") as f:
            schema = json.load(f)
        with open(argv[2], encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        print("validate_json_schema: %s" % e, file=sys.stderr)
        return 2

    checker = jsonschema.FormatChecker()
    checker.checks("uri")(_is_uri)
    checker.checks("uri-reference")(_is_uri_reference)
    checker.checks("date-time")(_is_date_time)
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft4Validator)
    validator = cls(schema, format_checker=checker)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
    for e in errors:
        print("%s: %s: %s" % (argv[2], _path(e), e.message))
    if errors:
        print("%s: %d schema error(s)" % (argv[2], len(errors)))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
