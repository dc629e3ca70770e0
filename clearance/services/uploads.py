"""Turning uploaded bytes into stored, typed parts."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import BinaryIO

from clearance.domain.manifest import PartEntry, PartRole
from clearance.errors import BadInput
from clearance.filetype import detect_mime
from clearance.storage.blobs import BlobStore

BODY_NAME = "body.txt"
MAX_FILENAME = 200


@dataclass(frozen=True)
class Upload:
    """A file to attach: its name as the user gave it and a stream of its bytes."""

    filename: str
    stream: BinaryIO


def safe_filename(raw: str) -> str:
    """Keep only the last path component, NFC, without control characters."""
    name = PureWindowsPath(PurePosixPath(raw).name).name
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    if not name or name in {".", ".."}:
        raise BadInput(
            f"the file name {raw!r} is empty or not usable; rename the file",
            code="upload.name_unusable",
            params={"name": raw},
        )
    if len(name) > MAX_FILENAME:
        raise BadInput(
            f"the file name {name[:40]!r}... is longer than {MAX_FILENAME} characters",
            code="upload.name_too_long",
            params={"name": name[:40], "maximum": MAX_FILENAME},
        )
    return name


def store_body(blobs: BlobStore, text: str) -> PartEntry:
    data = unicodedata.normalize("NFC", text).encode("utf-8")
    ref = blobs.put_bytes(data, name="the body text")
    return PartEntry(
        name=BODY_NAME,
        role=PartRole.BODY,
        sha256=ref.sha256,
        size=ref.size,
        mime="text/plain; charset=utf-8",
    )


def version_name(language: str) -> str:
    """The name a language version's text is stored and published under (``body.en.txt``)."""
    return f"body.{language}.txt"


def store_version(blobs: BlobStore, language: str, title: str, text: str) -> PartEntry:
    """A language version: its body text as bytes, its language and title in the part entry
    (so the manifest, and the sign-off over it, covers the title too)."""
    data = unicodedata.normalize("NFC", text).encode("utf-8")
    ref = blobs.put_bytes(data, name=f"the {language} version")
    return PartEntry(
        name=version_name(language),
        role=PartRole.VERSION,
        sha256=ref.sha256,
        size=ref.size,
        mime="text/plain; charset=utf-8",
        language=language,
        title=unicodedata.normalize("NFC", title),
    )


def store_upload(blobs: BlobStore, upload: Upload) -> PartEntry:
    name = safe_filename(upload.filename)
    ref = blobs.put_stream(upload.stream, name=f"the file {name!r}")
    if ref.size == 0:
        raise BadInput(
            f"the file {name!r} is empty; attach the file with its content",
            code="upload.empty",
            params={"name": name},
        )
    mime = detect_mime(blobs.read(ref.sha256))
    return PartEntry(
        name=name, role=PartRole.ATTACHMENT, sha256=ref.sha256, size=ref.size, mime=mime
    )
