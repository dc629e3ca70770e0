"""The one small interface every publication channel implements."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from clearance.canonical import canonical_hash
from clearance.publishing.release import Release


@dataclass(frozen=True, slots=True)
class ReadBack:
    """What a channel found live: SHA-256 per part name (None: the channel cannot read back)."""

    location: str
    digests: Mapping[str, str] | None

    def matches(self, release: Release) -> bool | None:
        """Whether exactly the release's parts are live, each with its approved SHA-256: a
        part missing, replaced or added is a mismatch, and so is a release whose parts share a
        name (one would hide the other on the channel)."""
        if self.digests is None:
            return None
        want = {p.name: p.sha256 for p in release.parts}
        if len(want) != len(release.parts):
            return False
        return dict(self.digests) == want

    @property
    def digest(self) -> str | None:
        return None if self.digests is None else canonical_hash(dict(self.digests))


class ChannelAdapter(Protocol):
    """Put a release live, read back what is live, take it down. Every method is idempotent:
    running ``put`` twice for the same release leaves the same bytes live."""

    def put(self, release: Release) -> str:
        """Make ``release`` live; return where (URL or path)."""
        ...

    def read_back(self, release: Release) -> ReadBack:
        """Read what is live for ``release`` now."""
        ...

    def remove(self, release_item: str, manifest_hash: str) -> None:
        """Take the item down (recall)."""
        ...


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
