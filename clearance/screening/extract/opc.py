"""An OOXML package's own index (Open Packaging Conventions, ECMA-376 part 2): the content types of
``[Content_Types].xml`` and the relationship graph walked from ``_rels/.rels`` through every part's
``_rels/<part>.rels``. Extraction and the sanitiser both read a package through this model, so what
is "reached" and what each part "is" (its content type, the relationship types that lead to it) is
decided in one place, never from fixed part names.
"""

from __future__ import annotations

import posixpath
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import unquote

import defusedxml.ElementTree as DET

from clearance.screening.extract.safezip import SafeZip
from clearance.screening.limits import Held

_CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_PR = "{http://schemas.openxmlformats.org/package/2006/relationships}"
CONTENT_TYPES = "[Content_Types].xml"
ROOT_RELS = "_rels/.rels"
OFFICE_DOCUMENT = "/officeDocument"  # relationship type suffix of the main part (both namespaces)


@dataclass(frozen=True, slots=True)
class Relationship:
    source: str  # the part whose .rels holds it ("" for the package root)
    rels_part: str
    id: str
    type: str
    target: str  # resolved part name (no leading slash), or the raw target when external
    external: bool


@dataclass(slots=True)
class Package:
    """Content types, relationships and reachability of every zip entry."""

    names: list[str]
    defaults: dict[str, str] = field(default_factory=dict)  # extension (lower) -> content type
    overrides: dict[str, str] = field(default_factory=dict)  # part name -> content type
    relationships: list[Relationship] = field(default_factory=list)
    reached: dict[str, list[str]] = field(default_factory=dict)  # part -> relationship types
    main: str | None = None

    def content_type(self, name: str) -> str:
        if name in self.overrides:
            return self.overrides[name]
        base = posixpath.basename(name)
        extension = base.rpartition(".")[2].lower() if "." in base else ""
        return self.defaults.get(extension, "")

    def types_to(self, name: str) -> list[str]:
        return self.reached.get(name, [])

    def outgoing(self, source: str) -> list[Relationship]:
        return [r for r in self.relationships if r.source == source]


def rels_part_of(name: str) -> str:
    """``word/document.xml`` -> ``word/_rels/document.xml.rels``; the root's is ``_rels/.rels``."""
    folder, base = posixpath.split(name)
    return posixpath.join(folder, "_rels", f"{base}.rels")


def source_of(rels_part: str) -> str | None:
    """The part a ``.rels`` part describes (``""`` for the root), ``None`` if it is not one."""
    folder, base = posixpath.split(rels_part)
    if posixpath.basename(folder) != "_rels" or not base.endswith(".rels"):
        return None
    return posixpath.join(posixpath.dirname(folder), base[: -len(".rels")]).lstrip("/")


def _resolve(source: str, target: str) -> str:
    target = unquote(target.split("#", 1)[0])
    if target.startswith("/"):
        path = target
    else:
        path = posixpath.join("/" + posixpath.dirname(source), target)
    return posixpath.normpath(path).lstrip("/")


def _parse(zf: SafeZip, name: str) -> DET.Element:
    try:
        return DET.fromstring(zf.read(name), forbid_dtd=True)
    except DET.ParseError as exc:
        raise Held(f"the package index {name} is malformed XML ({exc})") from exc


def _match_case(names: dict[str, str], name: str) -> str:
    """Part names are case-insensitive in OPC: the stored spelling of ``name``, if any."""
    return names.get(name.lower(), name)


def read_package(zf: SafeZip) -> Package:
    """Walk the package from its root relationships; raise :class:`Held` when it has no index."""
    package = Package(names=zf.names())
    lowered = {n.lower(): n for n in package.names}
    if CONTENT_TYPES not in zf.infos:
        raise Held("the package has no [Content_Types].xml: it is not a valid OOXML file")
    types = _parse(zf, CONTENT_TYPES)
    for default in types.iter(f"{_CT}Default"):
        package.defaults[default.get("Extension", "").lower()] = default.get("ContentType", "")
    for override in types.iter(f"{_CT}Override"):
        part = _match_case(lowered, override.get("PartName", "").lstrip("/"))
        package.overrides[part] = override.get("ContentType", "")
    queue: deque[str] = deque([""])
    walked: set[str] = set()
    while queue:
        source = queue.popleft()
        if source in walked:
            continue
        walked.add(source)
        rels = ROOT_RELS if source == "" else rels_part_of(source)
        rels = _match_case(lowered, rels)
        if rels not in zf.infos:
            continue
        for element in _parse(zf, rels).iter(f"{_PR}Relationship"):
            kind = element.get("Type", "")
            raw = element.get("Target", "")
            external = element.get("TargetMode", "") == "External"
            target = raw if external else _match_case(lowered, _resolve(source, raw))
            relationship = Relationship(source, rels, element.get("Id", ""), kind, target, external)
            package.relationships.append(relationship)
            if external:
                continue
            package.reached.setdefault(target, []).append(kind)
            if source == "" and kind.endswith(OFFICE_DOCUMENT) and package.main is None:
                package.main = target
            queue.append(target)
    return package
