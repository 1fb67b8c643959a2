"""The REX JSON Schemas: one offline registry, fast and reference validators, a strict variant."""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from rexport.findings import pointer as make_pointer
from rexport.schema.formats import FORMATS
from rexport.schema.messages import describe
from rexport.schema.violations import SchemaError, relevance

# python-jsonschema and referencing load only when the reference engine is used: the fast
# path (every pre-commit run) needs neither.
if TYPE_CHECKING:
    import referencing
    from jsonschema import (  # type: ignore[import-untyped, unused-ignore]
        Draft202012Validator,
        FormatChecker,
    )
    from jsonschema.exceptions import (  # type: ignore[import-untyped, unused-ignore]
        ValidationError,
    )

BASE_URI = "https://rex.example.org/schemas/v1/"
# The strict copies live under their own ids so that one registry holds both variants.
STRICT_BASE_URI = BASE_URI + "strict/"
METASCHEMA = "https://json-schema.org/draft/2020-12/schema"
SUFFIX = ".schema.json"
BUNDLE_FILE = "rex.bundle" + SUFFIX
ROOT = "rex"
FORMAT_FREE = frozenset({"files"})  # schemas that reach no `format` keyword (a test says so)
# Schemas that reach no keyword whose outcome a closed object could turn (anyOf, oneOf, not,
# if, contains, ...): their errors are their strict variant's but unevaluatedProperties (a
# test says so)
OPEN_IN_STRICT = frozenset({"files"})

_SUBSCHEMA_MAPS = ("$defs", "properties", "patternProperties", "dependentSchemas")
_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SUBSCHEMA_ONE = ("additionalProperties", "unevaluatedProperties", "items", "contains", "not",
                  "if", "then", "else", "propertyNames", "unevaluatedItems")


def schema_dir() -> Path:
    """The folder holding the v1 schemas: inside the installed package, else the checkout's."""
    packaged = Path(__file__).resolve().parents[1] / "schemas" / "v1"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "schemas" / "v1"


def schema_files() -> list[Path]:
    """Every schema resource file (the generated bundle excluded), sorted by name."""
    return sorted(p for p in schema_dir().glob("*" + SUFFIX) if p.name != BUNDLE_FILE)


def uri_for(name: str) -> str:
    """The `$id` of the schema named `name` ("rex", "files", ... or "rex.schema.json")."""
    return BASE_URI + (name if name.endswith(SUFFIX) else name + SUFFIX)


@functools.cache
def resources() -> dict[str, dict[str, Any]]:
    """Every schema resource, keyed by `$id`, as read from `schema_dir()`."""
    out: dict[str, dict[str, Any]] = {}
    for path in schema_files():
        contents = json.loads(path.read_text(encoding="utf-8"))
        out[contents["$id"]] = contents
    return out


def _subschemas(schema: dict[str, Any]) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    for key in _SUBSCHEMA_MAPS:
        for name, sub in schema.get(key, {}).items():
            yield (key, name), sub
    for key in _SUBSCHEMA_LISTS:
        for index, sub in enumerate(schema.get(key, [])):
            yield (key, index), sub
    for key in _SUBSCHEMA_ONE:
        if key in schema:
            yield (key,), schema[key]


def _walk(schema: Any, at: tuple[str | int, ...] = ()) -> Iterator[tuple[str, dict[str, Any]]]:
    if not isinstance(schema, dict):
        return
    yield make_pointer(*at), schema
    for tokens, sub in _subschemas(schema):
        yield from _walk(sub, at + tokens)


def _make_strict(schema: dict[str, Any]) -> dict[str, Any]:
    # Only object definitions get unevaluatedProperties: branches of anyOf/oneOf/if (which
    # carry no "type": "object") must stay open or they would reject their siblings' members.
    for _, sub in _walk(schema):
        if (sub.get("type") == "object" and "properties" in sub
                and "additionalProperties" not in sub and "unevaluatedProperties" not in sub):
            sub["unevaluatedProperties"] = False
    return schema


@functools.cache
def strict_resources() -> dict[str, dict[str, Any]]:
    """The strict copies: every object definition closed except for `x-` members."""
    out: dict[str, dict[str, Any]] = {}
    for uri, contents in resources().items():
        strict = _make_strict(copy.deepcopy(contents))
        strict["$id"] = STRICT_BASE_URI + uri[len(BASE_URI):]
        out[strict["$id"]] = strict
    return out


def _refuse(uri: str) -> NoReturn:
    # Schemas ship with the package: any lookup outside it is a bug or an attack, never a fetch.
    import referencing.exceptions

    raise referencing.exceptions.NoSuchResource(uri)


@functools.cache
def registry() -> referencing.Registry[Any]:
    """The one registry of every REX schema (normal and strict), refusing every retrieval."""
    import referencing
    from referencing.jsonschema import DRAFT202012

    pairs = [(uri, DRAFT202012.create_resource(contents))
             for uri, contents in {**resources(), **strict_resources()}.items()]
    empty: referencing.Registry[Any] = referencing.Registry(retrieve=_refuse)  # type: ignore[call-arg]
    return empty.with_resources(pairs).crawl()


def format_checker() -> FormatChecker:
    """A FormatChecker asserting exactly the formats the schemas use, with the shared checks."""
    from jsonschema import FormatChecker  # type: ignore[import-untyped, unused-ignore]

    checker = FormatChecker(formats=())
    for name, check in FORMATS.items():
        checker.checks(name)(check)
    return checker


@functools.cache
def python_validator(strict: bool = False, name: str = ROOT) -> Draft202012Validator:
    """The python-jsonschema validator for schema `name` (the reference engine)."""
    from jsonschema import Draft202012Validator  # type: ignore[import-untyped, unused-ignore]

    uri = (STRICT_BASE_URI if strict else BASE_URI) + uri_for(name)[len(BASE_URI):]
    return Draft202012Validator(registry().contents(uri), registry=registry(),
                                format_checker=format_checker())


@functools.cache
def rs_validator(strict: bool = False, name: str = ROOT) -> Any | None:
    """The jsonschema-rs validator for schema `name` (the fast engine); None when unavailable."""
    try:
        import jsonschema_rs
    except ImportError:  # pragma: no cover - a declared dependency, kept optional for safety
        return None
    # one variant only: the strict copies refer to one another, the others likewise
    variant = strict_resources() if strict else resources()
    uri = (STRICT_BASE_URI if strict else BASE_URI) + uri_for(name)[len(BASE_URI):]
    # with our (Python) format checks jsonschema-rs takes half as long again over an index
    formats = None if name in FORMAT_FREE else dict(FORMATS)
    try:
        rs_registry = jsonschema_rs.Registry(list(variant.items()), retriever=_refuse)
        return jsonschema_rs.Draft202012Validator(
            variant[uri], registry=rs_registry, validate_formats=True, formats=formats,
            offline=True)
    except (TypeError, ValueError):
        # a jsonschema-rs older than 0.52 (no `offline`): the reference engine does the work
        return None


@functools.cache
def _locations() -> dict[int, str]:
    # python-jsonschema hands back the very dicts held by the registry: their identity tells
    # where in which file an error's keyword lives, as jsonschema-rs reports it.
    out: dict[int, str] = {}
    for base, table in ((BASE_URI, resources()), (STRICT_BASE_URI, strict_resources())):
        for uri, contents in table.items():
            for at, sub in _walk(contents):
                out[id(sub)] = uri[len(base):] + "#" + at
    return out


def _relative(absolute: str | None) -> str:
    if not absolute:
        return ""
    for base in (STRICT_BASE_URI, BASE_URI):
        if absolute.startswith(base):
            return absolute[len(base):]
    return absolute


def _unknown_members(instance: Any, schema: dict[str, Any]) -> tuple[str, ...]:
    if not isinstance(instance, dict):
        return ()
    known = schema.get("properties", {})
    patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
    return tuple(k for k in instance
                 if k not in known and not any(p.search(k) for p in patterns))


def _from_python(error: ValidationError) -> SchemaError:
    keyword = str(error.validator) if error.validator is not None else "false"
    where = _locations().get(id(error.schema), "")
    schema_pointer = f"{where}/{keyword}" if where and error.validator is not None else where
    missing = None
    unknown: tuple[str, ...] = ()
    if keyword == "required" and isinstance(error.instance, dict):
        absent = [p for p in error.validator_value if p not in error.instance]
        missing = next((p for p in absent if error.message.startswith(repr(p))),
                       absent[0] if absent else None)
    if keyword == "unevaluatedProperties" and isinstance(error.schema, dict):
        unknown = _unknown_members(error.instance, error.schema)
    multiple = keyword == "oneOf" and not error.context
    message = describe(keyword, error.validator_value, error.instance, missing=missing,
                       unknown=unknown, multiple=multiple, where=schema_pointer)
    return SchemaError(tuple(error.absolute_path), keyword, schema_pointer, message, missing,
                       unknown, _rank(error.validator_value, missing))


def _from_rs(error: Any, at: int | None = None) -> SchemaError:
    # ``at``: the error is of a slice of files[] starting there (see _rs_errors)
    kind = error.kind
    keyword = str(kind.name)
    schema_pointer = _relative(error.absolute_keyword_location)
    value = schema_node(schema_pointer)
    missing = str(kind.property) if keyword == "required" else None
    unknown = tuple(kind.unexpected) if keyword == "unevaluatedProperties" else ()
    multiple = type(kind).__name__ == "OneOfMultipleValid"
    instance = error.instance if keyword in {"type", "oneOf", "anyOf"} else None
    message = describe(keyword, value, instance, missing=missing, unknown=unknown,
                       multiple=multiple, where=schema_pointer)
    path = tuple(error.instance_path)
    if at is not None:
        path = ("files", at + path[0], *path[1:])
    return SchemaError(path, keyword, schema_pointer, message, missing, unknown,
                       _rank(value, missing))


def _rank(required: Any, missing: str | None) -> int:
    listed = missing is not None and isinstance(required, list) and missing in required
    return required.index(missing) if listed else 0


def schema_node(schema_pointer: str) -> Any:
    """The schema value at ``schema_pointer`` (``files.schema.json#/$defs/entry``), or None."""
    name, _, at = schema_pointer.partition("#")
    node: Any = resources().get(BASE_URI + name)
    for token in at.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict):
            node = node.get(token)
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return None
    return node


def is_valid(instance: Any, *, strict: bool = False, engine: str = "auto") -> bool:
    """True when `instance` satisfies the manifest schema (strict: and has no unknown members)."""
    return not errors(instance, strict=strict, engine=engine)


def errors(instance: Any, *, strict: bool = False, engine: str = "auto") -> list[SchemaError]:
    """Every violation of the manifest schema, most relevant first.

    `engine` is "rs" (jsonschema-rs), "python" (python-jsonschema) or "auto" (rs when it can
    read the instance, else python). With `strict`, the strict variant is used: its errors
    include `unevaluatedProperties` for members the schema does not define.
    """
    return both_errors(instance, (strict,), engine=engine)[0]


def both_errors(instance: Any, variants: tuple[bool, ...] = (False, True), *,
                engine: str = "auto", index_closed: bool = False) -> list[list[SchemaError]]:
    """errors() of each variant in `variants` (False: open, True: strict). A long file index
    is validated once (OPEN_IN_STRICT): strictly when both are asked for, its open errors
    the others; openly when ``index_closed`` (the caller knows no entry holds a member the
    schema does not define, json_values.index_columns), its strict errors the same."""
    found = _rs_errors(instance, variants, index_closed) if engine in {"auto", "rs"} else None
    if found is None and engine == "rs":
        raise RuntimeError("jsonschema-rs cannot validate this instance")
    if found is None:
        found = [[_from_python(e) for e in python_validator(strict).iter_errors(instance)]
                 for strict in variants]
    return [sorted(errors, key=relevance) for errors in found]


# A file index longer than this is validated a slice at a time: jsonschema-rs copies what it
# validates, some 50 MiB for 100,000 entries at once. The index's schema constrains each entry
# alone (files.schema.json: an array of entries), so the slices find what the whole does.
_SLICE = 4096


def _rs_errors(instance: Any, variants: tuple[bool, ...], index_closed: bool
               ) -> list[list[SchemaError]] | None:
    if any(rs_validator(strict) is None for strict in variants):
        return None
    files = instance.get("files") if type(instance) is dict else None
    slices = [(files[at:at + _SLICE], at) for at in range(0, len(files), _SLICE)] \
        if type(files) is list and len(files) > _SLICE else []
    head = {**instance, "files": []} if slices else instance
    once: tuple[bool, ...] = variants
    if slices and "files" in OPEN_IN_STRICT and (index_closed or len(set(variants)) == 2):
        once = (not index_closed,)
    try:
        found = {strict: _rs_part(rs_validator(strict), head) for strict in variants}
        index = {strict: [e for part, at in slices
                          for e in _rs_part(rs_validator(strict, "files"), part, at)]
                 for strict in once}
        if once == (False,):
            index[True] = index[False]
        elif once == (True,):
            index[False] = [e for e in index[True] if e.keyword != "unevaluatedProperties"]
        return [found[strict] + index[strict] for strict in variants]
    except (ValueError, TypeError, OverflowError, RecursionError, AttributeError):
        # values jsonschema-rs cannot convert (non-string keys, ...), or an older jsonschema-rs
        # whose errors lack locations: the reference engine decides
        return None


def _rs_part(validator: Any, part: Any, at: int | None = None) -> list[SchemaError]:
    # ``at``: ``part`` is a slice of files[] starting there
    return [] if validator.is_valid(part) else [_from_rs(e, at)
                                                for e in validator.iter_errors(part)]


def unknown_fields(instance: Any, *, engine: str = "auto") -> list[str]:
    """JSON pointers of members the schema does not define (`x-` members are never unknown)."""
    out: list[str] = []
    for error in errors(instance, strict=True, engine=engine):
        if error.keyword == "unevaluatedProperties":
            out.extend(make_pointer(*error.path, key) for key in error.unknown)
    return out
