"""Property tests: proofs generated over random trees verify, and tampered ones do not."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearance.auditlog.proof import (
    consistency_proof,
    inclusion_proof,
    verify_consistency,
    verify_inclusion,
)
from clearance.auditlog.rfc6962 import leaf_hash, node_hash
from clearance.auditlog.tree import Levels, RightEdge, root_of
from clearance.errors import VerificationError


def naive_root(hashes: list[bytes]) -> bytes:
    """RFC 6962 MTH by its definition, for comparison."""
    if len(hashes) == 1:
        return hashes[0]
    k = 1 << ((len(hashes) - 1).bit_length() - 1)
    return node_hash(naive_root(hashes[:k]), naive_root(hashes[k:]))


leaves = st.lists(st.binary(max_size=8), min_size=1, max_size=70)


@given(leaves)
def test_incremental_edge_matches_definition(data: list[bytes]) -> None:
    hashes = [leaf_hash(x) for x in data]
    edge = RightEdge.empty()
    for x in data:
        edge = edge.append(x)
    assert edge.root() == naive_root(hashes) == root_of(hashes) == Levels(hashes).root()
    assert RightEdge.from_bytes(edge.size, edge.to_bytes()) == edge


@given(leaves, st.data())
def test_inclusion_round_trip_and_tamper(data: list[bytes], draw: st.DataObject) -> None:
    hashes = [leaf_hash(x) for x in data]
    levels = Levels(hashes)
    size = draw.draw(st.integers(1, len(hashes)))
    index = draw.draw(st.integers(0, size - 1))
    root = levels.root(size)
    proof = inclusion_proof(levels, index, size)
    verify_inclusion(index, size, hashes[index], proof, root)
    with pytest.raises(VerificationError):
        verify_inclusion(index, size, leaf_hash(b"other" + data[index]), proof, root)
    if proof:
        bad = list(proof)
        bad[draw.draw(st.integers(0, len(bad) - 1))] = b"\x00" * 32
        with pytest.raises(VerificationError):
            verify_inclusion(index, size, hashes[index], bad, root)
        with pytest.raises(VerificationError):
            verify_inclusion(index, size, hashes[index], proof[:-1], root)
    with pytest.raises(VerificationError):
        verify_inclusion(index, size, hashes[index], [*proof, b"\x11" * 32], root)


@given(leaves, st.data())
@settings(max_examples=200)
def test_consistency_round_trip_and_fork(data: list[bytes], draw: st.DataObject) -> None:
    hashes = [leaf_hash(x) for x in data]
    levels = Levels(hashes)
    size2 = draw.draw(st.integers(1, len(hashes)))
    size1 = draw.draw(st.integers(1, size2))
    proof = consistency_proof(levels, size1, size2)
    root1, root2 = levels.root(size1), levels.root(size2)
    verify_consistency(size1, size2, root1, root2, proof)
    forked = Levels([*hashes[: size1 - 1], leaf_hash(b"fork"), *hashes[size1:]])
    with pytest.raises(VerificationError):
        verify_consistency(size1, size2, forked.root(size1), root2, proof)
    if size1 < size2:
        with pytest.raises(VerificationError):
            verify_consistency(size1, size2, root1, root2, proof[:-1])
