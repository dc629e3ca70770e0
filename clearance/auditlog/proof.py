"""Inclusion and consistency proofs (RFC 6962 §2.1, verification as RFC 9162 §2.1.3.2 and §2.1.4.2).

Generation reads subtree hashes from ``tree.Levels``; verification needs only hashes. Every check
raises ``VerificationError`` naming what it got and what it wanted.
"""

from __future__ import annotations

from collections.abc import Sequence

from clearance.auditlog.rfc6962 import HASH_SIZE, node_hash
from clearance.auditlog.tree import Levels
from clearance.errors import BadInput, VerificationError


def _split(width: int) -> int:
    """Largest power of two strictly smaller than ``width`` (width >= 2)."""
    return 1 << ((width - 1).bit_length() - 1)


def inclusion_proof(levels: Levels, index: int, size: int) -> list[bytes]:
    """Audit path for leaf ``index`` in the tree of the first ``size`` leaves."""
    if not 0 <= index < size <= levels.size:
        raise BadInput(f"no inclusion proof for leaf {index} in a tree of size {size}")
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            path.append(levels.subtree(start + k, end))
            end = start + k
        else:
            path.append(levels.subtree(start, start + k))
            start += k
    path.reverse()
    return path


def consistency_proof(levels: Levels, size1: int, size2: int) -> list[bytes]:
    """Proof that the tree of ``size1`` leaves is a prefix of the tree of ``size2`` leaves."""
    if not 0 <= size1 <= size2 <= levels.size:
        raise BadInput(
            f"no consistency proof from size {size1} to {size2} (tree has {levels.size})"
        )
    if size1 in (0, size2):
        return []
    out: list[bytes] = []
    m, start, end, complete = size1, 0, size2, True
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            out.append(levels.subtree(start + k, end))
            end = start + k
        else:
            out.append(levels.subtree(start, start + k))
            m -= k
            start += k
            complete = False
    if not complete:
        out.append(levels.subtree(start, end))
    out.reverse()
    return out


def _check_hash(name: str, value: bytes) -> None:
    if len(value) != HASH_SIZE:
        raise VerificationError(
            f"{name} has {len(value)} bytes, want {HASH_SIZE}",
            code="proof.hash_size",
            params={"name": name, "length": len(value), "want": HASH_SIZE},
        )


def root_from_inclusion(index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes]) -> bytes:
    """Recompute the root implied by an inclusion proof (RFC 9162 §2.1.3.2)."""
    if not 0 <= index < size:
        raise VerificationError(
            f"leaf index {index} is outside a tree of size {size}",
            code="proof.index_outside",
            params={"index": index, "size": size},
        )
    _check_hash("leaf hash", leaf_hash)
    fn, sn, r = index, size - 1, leaf_hash
    for i, p in enumerate(proof):
        _check_hash(f"proof hash {i}", p)
        if sn == 0:
            raise VerificationError(
                f"inclusion proof has {len(proof)} hashes, want {i}",
                code="proof.inclusion_too_long",
                params={"hashes": len(proof), "want": i},
            )
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise VerificationError(
            f"inclusion proof has {len(proof)} hashes, which is too few",
            code="proof.inclusion_too_short",
            params={"hashes": len(proof)},
        )
    return r


def verify_inclusion(
    index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    _check_hash("root", root)
    got = root_from_inclusion(index, size, leaf_hash, proof)
    if got != root:
        raise VerificationError(
            f"inclusion proof for leaf {index} gives root {got.hex()}, want {root.hex()}",
            code="proof.inclusion_root",
            params={"index": index, "root": got.hex(), "want": root.hex()},
        )


def verify_consistency(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree (size1, root1) is a prefix of (size2, root2) (RFC 9162 §2.1.4.2).

    Hashes must be 32 bytes even when the proof is empty (so 12-byte dummy roots are refused).
    """
    _check_hash("root1", root1)
    _check_hash("root2", root2)
    if size1 < 0 or size2 < size1:
        raise VerificationError(
            f"size2 {size2} is smaller than size1 {size1}",
            code="proof.sizes_reversed",
            params={"size1": size1, "size2": size2},
        )
    if size1 == size2:
        if proof:
            raise VerificationError(
                f"equal sizes need an empty proof, got {len(proof)} hashes",
                code="proof.not_empty",
                params={"hashes": len(proof)},
            )
        if root1 != root2:
            raise VerificationError(
                f"roots differ at size {size1}: {root1.hex()} vs {root2.hex()}",
                code="proof.roots_differ",
                params={"size": size1, "root1": root1.hex(), "root2": root2.hex()},
            )
        return
    if size1 == 0:
        if proof:
            raise VerificationError(
                f"size1 0 needs an empty proof, got {len(proof)} hashes",
                code="proof.not_empty",
                params={"hashes": len(proof)},
            )
        return
    if not proof:
        raise VerificationError(
            f"consistency proof from {size1} to {size2} is empty",
            code="proof.consistency_empty",
            params={"size1": size1, "size2": size2},
        )
    for i, p in enumerate(proof):
        _check_hash(f"proof hash {i}", p)
    path = list(proof)
    if size1 & (size1 - 1) == 0:
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise VerificationError(
                f"consistency proof of {len(proof)} hashes is too long",
                code="proof.consistency_too_long",
                params={"hashes": len(proof)},
            )
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise VerificationError(
            f"consistency proof of {len(proof)} hashes is too short",
            code="proof.consistency_too_short",
            params={"hashes": len(proof)},
        )
    if fr != root1:
        raise VerificationError(
            f"consistency proof gives root1 {fr.hex()}, want {root1.hex()}",
            code="proof.consistency_root",
            params={"size": size1, "root": fr.hex(), "want": root1.hex()},
        )
    if sr != root2:
        raise VerificationError(
            f"consistency proof gives root2 {sr.hex()}, want {root2.hex()}",
            code="proof.consistency_root",
            params={"size": size2, "root": sr.hex(), "want": root2.hex()},
        )
