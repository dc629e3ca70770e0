"""Incremental Merkle tree: the right edge (compact range) of an RFC 6962 tree.

A tree of size n is the list of perfect subtree roots of the binary decomposition of n, largest
first. Appending costs O(log n) hashes; the root folds the edge from the right. ``Levels`` keeps
every complete node of a tree so proofs cost O(log n) lookups after one O(n) build.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from clearance.auditlog.rfc6962 import EMPTY_ROOT, HASH_SIZE, leaf_hash, node_hash
from clearance.errors import BadInput


@dataclass(frozen=True, slots=True)
class RightEdge:
    """The perfect-subtree roots covering leaves [0, size), largest (leftmost) first."""

    size: int
    hashes: tuple[bytes, ...]

    def __post_init__(self) -> None:
        if self.size < 0:
            raise BadInput(f"tree size must not be negative, got {self.size}")
        want = self.size.bit_count()
        if len(self.hashes) != want:
            raise BadInput(
                f"right edge of size {self.size} needs {want} hashes, got {len(self.hashes)}"
            )
        for h in self.hashes:
            if len(h) != HASH_SIZE:
                raise BadInput(f"edge hash of {len(h)} bytes, want {HASH_SIZE}")

    @classmethod
    def empty(cls) -> RightEdge:
        return cls(0, ())

    def append_hash(self, hash_: bytes) -> RightEdge:
        """Return the edge after appending one leaf whose leaf hash is ``hash_``."""
        hashes = list(self.hashes)
        carry = hash_
        size = self.size
        while size & 1:
            carry = node_hash(hashes.pop(), carry)
            size >>= 1
        hashes.append(carry)
        return RightEdge(self.size + 1, tuple(hashes))

    def append(self, leaf: bytes) -> RightEdge:
        return self.append_hash(leaf_hash(leaf))

    def root(self) -> bytes:
        if not self.hashes:
            return EMPTY_ROOT
        acc = self.hashes[-1]
        for h in reversed(self.hashes[:-1]):
            acc = node_hash(h, acc)
        return acc

    def to_bytes(self) -> bytes:
        return b"".join(self.hashes)

    @classmethod
    def from_bytes(cls, size: int, raw: bytes) -> RightEdge:
        if len(raw) % HASH_SIZE:
            raise BadInput(
                f"stored right edge of {len(raw)} bytes is not a multiple of {HASH_SIZE}"
            )
        hashes = tuple(raw[i : i + HASH_SIZE] for i in range(0, len(raw), HASH_SIZE))
        return cls(size, hashes)


class Builder:
    """Mutable right edge for bulk work (verification of large exports): O(1) amortised."""

    __slots__ = ("_hashes", "size")

    def __init__(self) -> None:
        self._hashes: list[bytes] = []
        self.size = 0

    @classmethod
    def from_edge(cls, edge: RightEdge) -> Builder:
        """A builder that goes on from ``edge`` (a tree of ``edge.size`` leaves)."""
        builder = cls()
        builder._hashes = list(edge.hashes)
        builder.size = edge.size
        return builder

    def add_hash(self, hash_: bytes) -> None:
        hashes = self._hashes
        size = self.size
        carry = hash_
        while size & 1:
            carry = node_hash(hashes.pop(), carry)
            size >>= 1
        hashes.append(carry)
        self.size += 1

    def root(self) -> bytes:
        return RightEdge(self.size, tuple(self._hashes)).root()

    def edge(self) -> RightEdge:
        return RightEdge(self.size, tuple(self._hashes))


def root_of(leaf_hashes: Iterable[bytes]) -> bytes:
    builder = Builder()
    for h in leaf_hashes:
        builder.add_hash(h)
    return builder.root()


class Levels:
    """Every complete node of a tree: level h holds the roots of leaves [i*2^h, (i+1)*2^h),
    32 bytes each, concatenated."""

    def __init__(self, leaf_hashes: Sequence[bytes]) -> None:
        blob = b"".join(leaf_hashes)
        if len(blob) != HASH_SIZE * len(leaf_hashes):
            raise BadInput(f"leaf hashes must be {HASH_SIZE} bytes each")
        self._build(blob, len(leaf_hashes))

    @classmethod
    def from_blob(cls, blob: bytes) -> Levels:
        """The levels over leaf hashes given concatenated (32 bytes each)."""
        if len(blob) % HASH_SIZE:
            raise BadInput(f"leaf hashes of {len(blob)} bytes are not a multiple of {HASH_SIZE}")
        levels = cls.__new__(cls)
        levels._build(blob, len(blob) // HASH_SIZE)
        return levels

    def _build(self, blob: bytes, size: int) -> None:
        levels = [blob]
        sha256 = hashlib.sha256
        while len(levels[-1]) > HASH_SIZE:
            below = levels[-1]
            # node_hash inlined: a pair of siblings is 64 consecutive bytes of the level below
            pairs = range(0, len(below) - 2 * HASH_SIZE + 1, 2 * HASH_SIZE)
            levels.append(b"".join([sha256(b"\x01" + below[i : i + 64]).digest() for i in pairs]))
        self._levels = levels
        self.size = size

    def extend(self, leaf_hashes: bytes) -> None:
        """Append leaves (their hashes concatenated), hashing only the nodes they complete."""
        if len(leaf_hashes) % HASH_SIZE:
            raise BadInput(f"leaf hashes of {len(leaf_hashes)} bytes are not 32 bytes each")
        if not leaf_hashes:
            return
        sha256 = hashlib.sha256
        levels = [bytearray(level) for level in self._levels]
        levels[0] += leaf_hashes
        h = 0
        while len(levels[h]) > HASH_SIZE:
            below = levels[h]
            if h + 1 == len(levels):
                levels.append(bytearray())
            above = levels[h + 1]
            start = len(above) * 2
            pairs = range(start, len(below) - 2 * HASH_SIZE + 1, 2 * HASH_SIZE)
            above += b"".join([sha256(b"\x01" + below[i : i + 64]).digest() for i in pairs])
            h += 1
        self._levels = [bytes(level) for level in levels]
        self.size += len(leaf_hashes) // HASH_SIZE

    def subtree(self, start: int, end: int) -> bytes:
        """Merkle tree hash of leaves [start, end), as RFC 6962 MTH(D[start:end])."""
        if not 0 <= start < end <= self.size:
            raise BadInput(f"subtree [{start}, {end}) is outside a tree of size {self.size}")
        width = end - start
        if width & (width - 1) == 0 and start % width == 0:
            at = start // width * HASH_SIZE
            return self._levels[width.bit_length() - 1][at : at + HASH_SIZE]
        split = 1 << ((width - 1).bit_length() - 1)
        return node_hash(self.subtree(start, start + split), self.subtree(start + split, end))

    def root(self, size: int | None = None) -> bytes:
        size = self.size if size is None else size
        if size == 0:
            return EMPTY_ROOT
        return self.subtree(0, size)
