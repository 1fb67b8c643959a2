"""Hostile exports aimed at the checks rather than the containers: the experiment's own schema
(CFG-05), format checks on multi-megabyte strings (EXP-05), pax global headers (EXP-14)."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path
from typing import Any

from helpers.archives import Member, gzip_bytes, tar_bytes

from hostile.cases import CASES, TARS, Case
from hostile.model import Export, base, write

SCHEMA = "config/hyperparameters.schema.json"
BACKTRACKING = "^(a|aa)+(?=b)\\1$"
CHECKED = ("dir", "tar.gz")  # these checks read the same bytes whatever the container


def _schema_case(item: str, codes: tuple[str, ...], schema: dict[str, Any] | bytes,
                 hyperparameters: Any, containers: tuple[str, ...] = CHECKED) -> None:
    text = schema if isinstance(schema, bytes) else json.dumps(schema).encode()
    config = {"path": "config/config.yaml", "seeds": {"python": 0},
              "hyperparameters": hyperparameters, "hyperparameters_schema": SCHEMA}
    export = Export(base().plus(Member(SCHEMA, text)).members, manifest_extra={"config": config})
    for container in containers:
        CASES.append(Case(item, container, codes,
                          lambda folder, c=container: write(export, c, folder),
                          source_level=False))


def _doubling(levels: int) -> dict[str, Any]:
    defs: dict[str, Any] = {f"a{i}": {"allOf": [{"$ref": f"#/$defs/a{i + 1}"}] * 2}
                            for i in range(levels)}
    defs[f"a{levels}"] = {"type": "object", "minProperties": 1}
    return {"$defs": defs, "$ref": "#/$defs/a0"}


_schema_case("schema-backtracking-pattern", ("REX-R107",),
             {"properties": {"x": {"pattern": BACKTRACKING}}}, {"x": "a" * 60 + "!"})
_schema_case("schema-backtracking-property-names", ("REX-R107",),
             {"propertyNames": {"pattern": BACKTRACKING}}, {"a" * 60 + "!": 1})
_schema_case("schema-nested-quantifier", ("REX-R106",),
             {"properties": {"x": {"pattern": "^(a+)+$"}}}, {"x": "a" * 100_000 + "!"})
# these two wait for the child's deadline or memory cap: one container is enough
_schema_case("schema-doubling-refs", ("REX-R107",), _doubling(48), {"C": 1}, ("dir",))
_schema_case("schema-enum-objects", ("REX-R107",),
             {"items": {"enum": [{"a": i} for i in range(20_000)]}}, [{"a": -1}] * 2_000,
             ("dir",))
_schema_case("schema-unique-items", ("REX-R106",), {"uniqueItems": True},
             [{"a": i} for i in range(20_000)] + [{"a": 0}])
_schema_case("schema-huge-quantifier", ("REX-R107",),
             {"properties": {"x": {"pattern": "a{99999999999}"}}}, {"x": "a"})
_schema_case("schema-nested-groups", ("REX-R107",),
             {"properties": {"x": {"pattern": "(" * 5_000 + "a" + ")" * 5_000}}}, {"x": "a"})
_schema_case("schema-huge-multiple-of", ("REX-R106",),
             b'{"properties": {"x": {"multipleOf": ' + b"9" * 400 + b"}}}", {"x": 3})
_schema_case("schema-ref-cycle", ("REX-R107",), {"$ref": "#"}, {"x": 1})
_schema_case("hyperparameter-huge-uri", ("REX-R106",),
             {"properties": {"u": {"format": "uri"}}},
             {"u": "https://example.org/" + "a/" * (4 << 20) + " "})


def _huge_email(folder: Path, container: str) -> Path:
    creators = [{"name": "Ada", "email": "a." * (4 << 20) + "a@example.org"}]
    export = Export(base().members, manifest_extra={"governance": {"creators": creators}})
    return write(export, container, folder)


for _c in CHECKED:
    CASES.append(Case("manifest-huge-email", _c, ("REX-S101",),
                      lambda folder, c=_c: _huge_email(folder, c), source_level=False))


def _pax_global(records: dict[str, str], container: str, folder: Path) -> Path:
    data = tarfile.TarInfo.create_pax_global_header(records) + tar_bytes(base())
    path = folder / ("export.tar.gz" if container == "tar.gz" else "export.tar")
    path.write_bytes(gzip_bytes(data) if container == "tar.gz" else data)
    return path


for _c in TARS:
    CASES.append(Case("pax-global-path", _c, ("REX-X120",),
                      lambda folder, c=_c: _pax_global({"path": "evil.sh"}, c, folder)))
    CASES.append(Case("pax-global-size", _c, ("REX-X120",),
                      lambda folder, c=_c: _pax_global({"size": "1"}, c, folder)))
