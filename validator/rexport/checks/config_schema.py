"""The experiment's own JSON Schema applied to config.hyperparameters (CFG-05: R106, R107)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import islice
from typing import Any

import jsonschema  # type: ignore[import-untyped, unused-ignore]
from jsonschema.exceptions import (  # type: ignore[import-untyped, unused-ignore]
    SchemaError,
    ValidationError,
    best_match,
)
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource, Unresolvable

from rexport.findings import Finding, pointer
from rexport.schema.formats import FORMATS

__all__ = ["check_config_schema"]

Path = tuple[str | int, ...]

# the five drafts of CFG-05, by their $schema after the scheme and without a final "#"
_DRAFTS: dict[str, Any] = {
    "json-schema.org/draft/2020-12/schema": jsonschema.Draft202012Validator,
    "json-schema.org/draft/2019-09/schema": jsonschema.Draft201909Validator,
    "json-schema.org/draft-07/schema": jsonschema.Draft7Validator,
    "json-schema.org/draft-06/schema": jsonschema.Draft6Validator,
    "json-schema.org/draft-04/schema": jsonschema.Draft4Validator,
}
_MAX_VIOLATIONS = 1000
_REDACTED = "[REDACTED]"
_REF_KEYWORDS = ("$ref", "$dynamicRef", "$recursiveRef")
_INSTANCE_KEYWORDS = frozenset({"const", "enum", "default", "examples"})  # data, not schemas
_NAME_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions",
                        "dependentSchemas", "dependencies"})


def _refuse(uri: str) -> Resource[Any]:
    # the validator never touches the network: a $ref outside the document is unusable
    raise NoSuchResource(ref=uri)  # type: ignore[call-arg, unused-ignore]


_OFFLINE: Registry[Any] = Registry(retrieve=_refuse)  # type: ignore[call-arg, unused-ignore]


def check_config_schema(manifest: Any, schema_doc: Any, *, file: str) -> list[Finding]:
    """Apply the experiment's JSON Schema ``schema_doc`` (the file ``file``) to
    config.hyperparameters: R106 for each violation, R107 when the schema cannot be used.

    Draft 2020-12 unless ``$schema`` names another of the five drafts; formats are asserted;
    no ``$ref`` may leave the file and none is ever fetched; a value that is the redaction
    marker is not judged. Messages name the rule broken, never the value.
    """
    config = manifest.get("config") if isinstance(manifest, dict) else None
    if not isinstance(config, dict) or "hyperparameters" not in config:
        return []
    if not isinstance(schema_doc, (dict, bool)):
        return [Finding.of("REX-R107", "the schema is neither an object nor a boolean",
                           file=file)]
    cls, problem = _validator_class(schema_doc, file)
    if problem is not None:
        return [problem]
    try:
        cls.check_schema(schema_doc)
    except SchemaError as exc:
        return [Finding.of("REX-R107", f"not a valid schema: {_rule(exc)}", file=file,
                           pointer=pointer(*exc.absolute_path))]
    outside = list(islice(_outside_refs(schema_doc, file), _MAX_VIOLATIONS))
    if outside:
        return outside
    validator = cls(schema_doc, registry=_OFFLINE, format_checker=_format_checker(cls))
    try:
        errors = [e for e in islice(validator.iter_errors(config["hyperparameters"]),
                                    _MAX_VIOLATIONS) if e.instance != _REDACTED]
    except Unresolvable as exc:
        return [Finding.of("REX-R107", f"unresolvable $ref {getattr(exc, 'ref', '')!r}",
                           file=file)]
    except (RecursionError, re.error, ValueError, TypeError) as exc:
        # a $ref cycle with no end, or a pattern Python cannot compile
        return [Finding.of("REX-R107", f"the schema cannot be applied ({type(exc).__name__})",
                           file=file)]
    best = best_match(errors)
    ordered = ([best] + [e for e in errors if e is not best]) if best is not None else []
    return [Finding.of("REX-R106", f"hyperparameter breaks the schema's {_rule(error)}",
                       pointer=pointer("config", "hyperparameters", *error.absolute_path),
                       schema_pointer=pointer(*error.absolute_schema_path))
            for error in ordered]


def _validator_class(schema: Any, file: str) -> tuple[Any, Finding | None]:
    uri = schema.get("$schema") if isinstance(schema, dict) else None
    if uri is None:
        return jsonschema.Draft202012Validator, None
    key = None
    if isinstance(uri, str) and uri.startswith(("http://", "https://")):
        key = uri.split("://", 1)[1]
        key = key[:-1] if key.endswith("#") else key
    if key in _DRAFTS:
        return _DRAFTS[key], None
    # an unknown dialect may mean anything: applying 2020-12 to it could pass what it refuses
    return None, Finding.of("REX-R107", "$schema names none of the drafts 2020-12, 2019-09, 7, "
                            "6 and 4", file=file, pointer="/$schema")


def _outside_refs(schema: Any, file: str) -> Iterator[Finding]:
    """R107 for each reference that does not begin with "#": the schema must be self-contained."""
    # (node, pointer path, whether the node maps names to schemas, like "properties")
    stack: list[tuple[Any, Path, bool]] = [(schema, (), False)]
    while stack:
        node, at, names = stack.pop()
        if isinstance(node, dict):
            for keyword in () if names else _REF_KEYWORDS:
                ref = node.get(keyword)
                if isinstance(ref, str) and not ref.startswith("#"):
                    yield Finding.of("REX-R107", f"{keyword} {ref!r} leaves the schema file",
                                     file=file, pointer=pointer(*at, keyword))
            stack.extend((v, (*at, k), not names and k in _NAME_MAPS) for k, v in node.items()
                         if names or k not in _INSTANCE_KEYWORDS)
        elif isinstance(node, list):
            stack.extend((v, (*at, i), False) for i, v in enumerate(node))


def _rule(error: ValidationError | SchemaError) -> str:
    expected = repr(error.validator_value)
    if len(expected) > 80:
        expected = expected[:77] + "..."
    return f"{error.validator!r} rule ({expected})"


def _format_checker(cls: Any) -> Any:
    """The draft's format checker, with our own checks for the formats that python-jsonschema
    asserts only when optional packages are installed (date-time, uri, ...): an experiment's
    schema gets the same verdict on every machine."""
    checker = jsonschema.FormatChecker(formats=cls.FORMAT_CHECKER.checkers)
    for name, check in FORMATS.items():
        checker.checks(name)(check)
    return checker
