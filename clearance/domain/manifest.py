"""A revision's manifest (DESIGN §3): every part with its SHA-256, size and detected MIME type.

The manifest's own SHA-256 over its canonical JSON is the only thing anyone approves. Two kinds:
``submitted`` (the author's bytes, kept for audit) and ``release`` (the sanitized derivatives that
approvers sign and channels publish). The revision number is deliberately not part of the
manifest: a new revision with identical bytes and metadata has an identical manifest, so earlier
approvals still hold for it.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from clearance.canonical import canonical_hash, canonical_json
from clearance.errors import BadInput

FORMAT = "clearance-manifest/1"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class PartRole(StrEnum):
    BODY = "body"
    ATTACHMENT = "attachment"


class ManifestKind(StrEnum):
    SUBMITTED = "submitted"
    RELEASE = "release"


@dataclass(frozen=True, slots=True)
class PartEntry:
    name: str
    role: PartRole
    sha256: str
    size: int
    mime: str

    def __post_init__(self) -> None:
        if not _HEX64.match(self.sha256):
            raise BadInput(f"part {self.name!r}: sha256 must be 64 lowercase hex digits")
        if self.size < 0:
            raise BadInput(f"part {self.name!r}: size must not be negative, found {self.size}")

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "role": self.role.value,
            "sha256": self.sha256,
            "size": self.size,
            "mime": self.mime,
        }


@dataclass(frozen=True, slots=True)
class Manifest:
    kind: ManifestKind
    item_id: str
    title: str
    channels: tuple[str, ...]
    declared_level: str
    parts: tuple[PartEntry, ...]

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for part in self.parts:
            if part.name in seen:
                raise BadInput(
                    f"two parts of item {self.item_id} are named {part.name!r}; every part "
                    "needs a name of its own (rename the attachment)"
                )
            seen.add(part.name)

    @classmethod
    def build(
        cls,
        *,
        kind: ManifestKind,
        item_id: str,
        title: str,
        channels: list[str] | tuple[str, ...],
        declared_level: str,
        parts: list[PartEntry] | tuple[PartEntry, ...],
    ) -> Manifest:
        """Normalise (NFC text, sorted channels, parts in submission order) and build."""
        return cls(
            kind=kind,
            item_id=item_id,
            title=unicodedata.normalize("NFC", title),
            channels=tuple(sorted(set(channels))),
            declared_level=declared_level,
            parts=tuple(parts),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "kind": self.kind.value,
            "item": self.item_id,
            "title": self.title,
            "channels": list(self.channels),
            "declared_level": self.declared_level,
            "parts": [p.to_json() for p in self.parts],
        }

    def canonical(self) -> bytes:
        return canonical_json(self.to_json())

    @property
    def hash(self) -> str:
        return canonical_hash(self.to_json())

    @classmethod
    def from_json_text(cls, text: str) -> Manifest:
        try:
            data = json.loads(text)
            if data.get("format") != FORMAT:
                raise BadInput(f"manifest format must be {FORMAT}, found {data.get('format')!r}")
            return cls(
                kind=ManifestKind(data["kind"]),
                item_id=str(data["item"]),
                title=str(data["title"]),
                channels=tuple(data["channels"]),
                declared_level=str(data["declared_level"]),
                parts=tuple(
                    PartEntry(
                        name=p["name"],
                        role=PartRole(p["role"]),
                        sha256=p["sha256"],
                        size=int(p["size"]),
                        mime=p["mime"],
                    )
                    for p in data["parts"]
                ),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise BadInput(f"the manifest is malformed ({exc}); it cannot be read") from exc
