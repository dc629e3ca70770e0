"""Incremental Merkle tree: the right edge (compact range) of an RFC 6962 tree.

A tree of size n is the list of perfect subtree roots of the binary decomposition of n, largest
first. Appending costs O(log n) hashes; the root folds the edge from the right. ``Levels`` keeps
every complete node of a tree so proofs cost O(log n) lookups after one O(n) build.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
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


def _block_levels(blob: bytes) -> list[bytes]:
    """Every complete node over the leaf hashes ``blob`` (32 bytes each), level by level, from
    the leaves up (the last level holds one node only when the leaf count is a power of two)."""
    levels = [blob]
    sha256 = hashlib.sha256
    while len(levels[-1]) >= 2 * HASH_SIZE:
        below = levels[-1]
        pairs = range(0, len(below) - 2 * HASH_SIZE + 1, 2 * HASH_SIZE)
        levels.append(b"".join([sha256(b"\x01" + below[i : i + 64]).digest() for i in pairs]))
    return levels


def _fold(hashes: Sequence[bytes]) -> bytes:
    """The root of a tree given its right edge (perfect subtree roots, largest first)."""
    if not hashes:
        return EMPTY_ROOT
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


class Block:
    """``width`` consecutive leaves starting at a multiple of ``width`` (a power of two), with
    every complete node inside them and the right edge of the tree before them."""

    __slots__ = ("before", "first", "levels")

    def __init__(self, first: int, before: Sequence[bytes], leaf_hashes: bytes) -> None:
        if len(leaf_hashes) % HASH_SIZE:
            raise BadInput(f"leaf hashes of {len(leaf_hashes)} bytes are not 32 bytes each")
        self.first = first
        self.before = tuple(before)
        self.levels = _block_levels(leaf_hashes)

    @property
    def size(self) -> int:
        return len(self.levels[0]) // HASH_SIZE

    def edge(self, size: int) -> list[bytes]:
        """The right edge of the tree of ``size`` leaves, ``first`` <= size <= first + size."""
        offset = size - self.first
        if not 0 <= offset <= self.size:
            raise BadInput(
                f"size {size} is outside leaves [{self.first}, {self.first + self.size}]"
            )
        hashes = list(self.before)
        position = 0
        for height in range(len(self.levels) - 1, -1, -1):
            if offset >> height & 1:
                at = (position >> height) * HASH_SIZE
                hashes.append(self.levels[height][at : at + HASH_SIZE])
                position += 1 << height
        return hashes

    def root(self, size: int) -> bytes:
        """RFC 6962 MTH of the first ``size`` leaves of the tree."""
        return _fold(self.edge(size))


class StreamingTree:
    """A tree built from leaf hashes fed in order, holding O(log n) hashes plus a window: the
    leaves are folded in blocks of ``block`` (a power of two); the complete nodes of the last
    ``keep`` blocks (and of the block being filled) stay, so the root at any size in the window
    costs O(log n); roots at older sizes need the block's leaves again (``Block``)."""

    def __init__(self, block: int = 4096, keep: int = 64) -> None:
        if block < 1 or block & (block - 1) or keep < 1:
            raise BadInput(f"block {block} must be a power of two and keep {keep} positive")
        self.block = block
        self.keep = keep
        self.size = 0
        self._filling = bytearray()
        self._blocks = Builder()  # the right edge over complete blocks' roots
        self._roots = bytearray()  # root of each complete block, 32 bytes each
        self._recent: dict[int, Block] = {}  # block number -> block, the last ``keep``
        self._partial: Block | None = None

    def extend(self, leaf_hashes: bytes) -> list[Block]:
        """Append leaves (hashes concatenated); return the blocks they completed (in order)."""
        if len(leaf_hashes) % HASH_SIZE:
            raise BadInput(f"leaf hashes of {len(leaf_hashes)} bytes are not 32 bytes each")
        done: list[Block] = []
        width = self.block * HASH_SIZE
        view = memoryview(leaf_hashes)
        start = 0
        while start < len(view):
            take = min(width - len(self._filling), len(view) - start)
            self._filling += view[start : start + take]
            start += take
            if len(self._filling) == width:
                done.append(self._complete())
        view.release()
        self.size += len(leaf_hashes) // HASH_SIZE
        self._partial = None
        return done

    def _complete(self) -> Block:
        number = len(self._roots) // HASH_SIZE
        block = Block(number * self.block, self._blocks.edge().hashes, bytes(self._filling))
        self._filling.clear()
        root = block.levels[-1]
        self._blocks.add_hash(root)
        self._roots += root
        self._recent[number] = block
        self._recent.pop(number - self.keep, None)
        return block

    def block_root(self, number: int) -> bytes:
        """The root of complete block ``number``."""
        return bytes(self._roots[number * HASH_SIZE : (number + 1) * HASH_SIZE])

    @property
    def complete_blocks(self) -> int:
        return len(self._roots) // HASH_SIZE

    def partial(self) -> Block:
        """The block being filled (possibly empty), with its complete nodes."""
        if self._partial is None:
            first = self.complete_blocks * self.block
            self._partial = Block(first, self._blocks.edge().hashes, bytes(self._filling))
        return self._partial

    def edges_before(self, numbers: Iterable[int]) -> Iterator[tuple[int, tuple[bytes, ...]]]:
        """For block numbers in increasing order, the right edge of the tree before each (one
        pass over the block roots)."""
        builder = Builder()
        done = 0
        for number in numbers:
            if not done <= number < self.complete_blocks:
                raise BadInput(f"block {number} is not a complete block after {done}")
            while done < number:
                builder.add_hash(self.block_root(done))
                done += 1
            yield number, builder.edge().hashes

    def block_of(self, size: int) -> int:
        """The number of the block that holds the last leaf of a tree of ``size`` > 0 leaves."""
        return (size - 1) // self.block

    def root(self, size: int | None = None) -> bytes | None:
        """The root at ``size`` (default: the current size) when it is in the window, else None
        (see ``Block`` to rebuild an older block)."""
        size = self.size if size is None else size
        if not 0 <= size <= self.size:
            raise BadInput(f"size {size} is outside a tree of size {self.size}")
        if size == 0:
            return EMPTY_ROOT
        number = self.block_of(size)
        if number >= self.complete_blocks:
            return self.partial().root(size)
        block = self._recent.get(number)
        return None if block is None else block.root(size)
