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
    #: the text of a language version (its title in the part entry, its body in the bytes)
    VERSION = "version"


class VersionFileWithoutVersion(BadInput):
    """A file names a language the item has no version in (``code``:
    ``version_file_without_version``): refused, never published as a stray file."""

    code = "version_file_without_version"

    def __init__(self, name: str, language: str) -> None:
        super().__init__(
            f"the file {name!r} belongs to the {language!r} version, but the item has no "
            f"version in {language!r}; add that version's title and text, or attach the file "
            "to the main text",
            params={"name": name, "language": language},
        )


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
    #: a language version's language and title (``version`` parts); an attachment with a
    #: language is a file of that version (the English PDF beside the Vietnamese one)
    language: str | None = None
    title: str | None = None

    def __post_init__(self) -> None:
        if not _HEX64.match(self.sha256):
            raise BadInput(f"part {self.name!r}: sha256 must be 64 lowercase hex digits")
        if self.size < 0:
            raise BadInput(f"part {self.name!r}: size must not be negative, found {self.size}")
        is_version = self.role is PartRole.VERSION
        version_file = self.role is PartRole.ATTACHMENT and self.language is not None
        if not version_file and is_version != (
            self.language is not None and self.title is not None
        ):
            raise BadInput(
                f"part {self.name!r}: a language and a title belong to a version part and "
                f"only to it, found role {self.role.value} with language {self.language!r}"
            )
        if version_file and self.title is not None:
            raise BadInput(f"part {self.name!r}: a version's file has no title of its own")

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "role": self.role.value,
            "sha256": self.sha256,
            "size": self.size,
            "mime": self.mime,
        }
        if self.language is not None:
            data["language"] = self.language
        if self.title is not None:
            data["title"] = self.title
        return data


@dataclass(frozen=True, slots=True)
class Manifest:
    kind: ManifestKind
    item_id: str
    title: str
    channels: tuple[str, ...]
    declared_level: str
    parts: tuple[PartEntry, ...]
    #: the language of the main text and the themes of the plan (absent from manifests made
    #: before themes existed, so those hash as they always did)
    language: str | None = None
    themes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        seen: set[str] = set()
        languages: set[str] = {self.language} if self.language else set()
        for part in self.parts:
            if part.name in seen:
                raise BadInput(
                    f"two parts of item {self.item_id} are named {part.name!r}; every part "
                    "needs a name of its own (rename the attachment)"
                )
            seen.add(part.name)
            if part.role is PartRole.VERSION and part.language is not None:
                if part.language in languages:
                    raise BadInput(
                        f"item {self.item_id} has two texts in language {part.language!r}; "
                        "keep one version per language",
                        code="duplicate_language",
                        params={"language": part.language},
                    )
                languages.add(part.language)
        versions = {p.language for p in self.parts if p.role is PartRole.VERSION}
        for part in self.parts:
            is_file = part.role is PartRole.ATTACHMENT and part.language is not None
            if is_file and part.language not in versions:
                raise VersionFileWithoutVersion(part.name, str(part.language))

    @property
    def versions(self) -> tuple[PartEntry, ...]:
        """The language versions beside the main text, in submission order."""
        return tuple(p for p in self.parts if p.role is PartRole.VERSION)

    def files_of(self, language: str | None) -> tuple[PartEntry, ...]:
        """The attachments of the version in ``language`` (None: the main text's files)."""
        return tuple(
            p for p in self.parts if p.role is PartRole.ATTACHMENT and p.language == language
        )

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
        language: str | None = None,
        themes: list[str] | tuple[str, ...] = (),
    ) -> Manifest:
        """Normalise (NFC text, sorted channels and themes, parts in submission order) and
        build."""
        return cls(
            kind=kind,
            item_id=item_id,
            title=unicodedata.normalize("NFC", title),
            channels=tuple(sorted(set(channels))),
            declared_level=declared_level,
            parts=tuple(parts),
            language=language,
            themes=tuple(sorted(set(themes))),
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
            **({"language": self.language} if self.language is not None else {}),
            **({"themes": list(self.themes)} if self.themes else {}),
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
                        language=_optional_text(p.get("language")),
                        title=_optional_text(p.get("title")),
                    )
                    for p in data["parts"]
                ),
                language=_optional_text(data.get("language")),
                themes=tuple(str(t) for t in data.get("themes", [])),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise BadInput(f"the manifest is malformed ({exc}); it cannot be read") from exc


def _optional_text(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"expected text, found {type(value).__name__}")
    return value
