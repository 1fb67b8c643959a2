"""The experiment's own JSON Schema applied to config.hyperparameters (CFG-05: R106, R107)."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import Any

from rexport.checks import redactions, schema_engine, schema_graph
from rexport.findings import Finding, pointer
from rexport.json_values import get
from rexport.schema.redactable import parse_pointer

__all__ = ["check_config_schema"]

Path = tuple[str | int, ...]

_REF_KEYWORDS = ("$ref", "$dynamicRef", "$recursiveRef")
_INSTANCE_KEYWORDS = frozenset({"const", "enum", "default", "examples"})  # data, not schemas
_NAME_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions",
                        "dependentSchemas", "dependencies"})
_WEAK = frozenset({"anyOf", "oneOf"})


def check_config_schema(manifest: Any, schema_doc: Any, *, file: str) -> list[Finding]:
    """Apply the experiment's JSON Schema ``schema_doc`` (the file ``file``) to
    config.hyperparameters: R106 for each violation, R107 when the schema cannot be used.

    Draft 2020-12 unless ``$schema`` names another of the five drafts (2019-09, 7, 6, 4);
    formats are asserted; no ``$ref`` may leave the file and none is ever fetched; a value
    that is a listed redaction marker is not judged. The work is bounded: patterns run in a
    linear-time engine (backreferences and look-around with a capped number of steps), and a
    schema whose cost cannot be bounded beforehand is applied in a child process with a
    deadline and a memory cap. Whatever fails inside is R107, never an exception. Messages name the
    rule broken, never the value.
    """
    config = get(manifest, "config")
    if not isinstance(config, dict) or "hyperparameters" not in config:
        return []
    if not isinstance(schema_doc, (dict, bool)):
        return [Finding.of("REX-R107", "the schema is neither an object nor a boolean",
                           file=file)]
    draft, problem = _draft(schema_doc, file)
    if problem is not None:
        return [problem]
    outside = list(islice(_outside_refs(schema_doc, file), schema_engine.MAX_VIOLATIONS))
    if outside:
        return outside
    hyper = config["hyperparameters"]
    plan = schema_graph.plan(schema_doc, hyper)
    if plan.cycle is not None:
        return [Finding.of("REX-R107", "a $ref cycle that never reaches into the value: "
                           "the schema would be applied without end", file=file,
                           pointer=plan.cycle)]
    apply = schema_engine.evaluate if plan.bounded else schema_engine.evaluate_isolated
    return _findings(apply(schema_doc, hyper, draft, _listed_below(manifest)), schema_doc, file)


def _listed_below(manifest: Any) -> list[list[str]]:
    """The listed redactions within config.hyperparameters, as paths below it: only these
    are exempt from the experiment's schema, an unlisted marker being a value (SEC-04)."""
    below = []
    for where in redactions.listed(manifest):
        tokens = parse_pointer(where)
        if tokens is not None and tokens[:2] == ("config", "hyperparameters"):
            below.append(list(tokens[2:]))
    return below


def _draft(schema: Any, file: str) -> tuple[int, Finding | None]:
    uri = schema.get("$schema") if isinstance(schema, dict) else None
    if uri is None:
        return 202012, None
    key = None
    if isinstance(uri, str) and uri.startswith(("http://", "https://")):
        key = uri.split("://", 1)[1]
        key = key[:-1] if key.endswith("#") else key
    if key in schema_engine.DRAFTS:
        return schema_engine.DRAFTS[key], None
    # an unknown dialect may mean anything: applying 2020-12 to it could pass what it refuses
    return 0, Finding.of("REX-R107", "$schema names none of the drafts 2020-12, 2019-09, 7, "
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


def _findings(results: list[schema_engine.Result], schema: Any, file: str) -> list[Finding]:
    unusable = [r for r in results if "unusable" in r]
    if unusable:
        first = unusable[0]
        return [Finding.of("REX-R107", str(first.get("reason", "the schema cannot be applied")),
                           file=file, pointer=pointer(*_tokens(first["unusable"])))]
    # the shallowest violation first (as jsonschema's best_match), anyOf/oneOf after others
    ordered = sorted(results, key=lambda r: (len(r["path"]), r["keyword"] in _WEAK))
    best = ordered[:1]
    rest = [r for r in results if not best or r is not best[0]]
    return [Finding.of("REX-R106", f"hyperparameter breaks the schema's {_rule(r, schema)}",
                       pointer=pointer("config", "hyperparameters", *_tokens(r["path"])),
                       schema_pointer=pointer(*_tokens(r["evaluation"])))
            for r in best + rest]


def _tokens(path: Any) -> Path:
    return tuple(t if isinstance(t, (str, int)) else str(t) for t in path) \
        if isinstance(path, list) else ()


def _rule(result: schema_engine.Result, schema: Any) -> str:
    value: Any = schema
    for token in _tokens(result.get("location")):
        if isinstance(value, dict):
            value = value.get(str(token))
        elif isinstance(value, list) and isinstance(token, int) and 0 <= token < len(value):
            value = value[token]
        else:
            value = None
    expected = repr(value)
    if len(expected) > 80:
        expected = expected[:77] + "..."
    return f"{result['keyword']!r} rule ({expected})"
