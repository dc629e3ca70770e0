"""Manifest hashing: canonical JSON with known answers (reproduce with the shell commands)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clearance.canonical import canonical_json
from clearance.domain.manifest import Manifest, ManifestKind, PartEntry, PartRole
from clearance.errors import BadInput


def test_empty_release_manifest_known_answer() -> None:
    manifest = Manifest.build(
        kind=ManifestKind.RELEASE,
        item_id="x",
        title="T",
        channels=[],
        declared_level="public",
        parts=[],
    )
    assert manifest.canonical() == (
        b'{"channels":[],"declared_level":"public","format":"clearance-manifest/1",'
        b'"item":"x","kind":"release","parts":[],"title":"T"}'
    )
    # printf '%s' '<the bytes above>' | sha256sum
    assert manifest.hash == "91f1961092cd9b2ca6d008424cbb949c1562fa6217a3b4fed5b7ed3e7872c7dc"


def test_vietnamese_manifest_known_answer() -> None:
    manifest = Manifest.build(
        kind=ManifestKind.SUBMITTED,
        item_id="0123456789abcdef",
        # NFD input must hash like its NFC form
        title="Tho\u0302ng ca\u0301o ba\u0301o chi\u0301",
        channels=["website", "press", "website"],
        declared_level="public",
        parts=[
            PartEntry("body.txt", PartRole.BODY, "a" * 64, 12, "text/plain; charset=utf-8"),
            PartEntry("ảnh.jpg", PartRole.ATTACHMENT, "b" * 64, 2048, "image/jpeg"),
        ],
    )
    assert manifest.title == "Thông cáo báo chí"
    assert manifest.channels == ("press", "website")
    assert manifest.hash == "7497017bdd5d1d0c9499a32e6c4aab0705f04176e6eaebacbc3a76b23b876e28"


def test_round_trip_through_stored_text() -> None:
    manifest = Manifest.build(
        kind=ManifestKind.SUBMITTED,
        item_id="i",
        title="x",
        channels=["website"],
        declared_level="public",
        parts=[PartEntry("a.pdf", PartRole.ATTACHMENT, "c" * 64, 5, "application/pdf")],
    )
    again = Manifest.from_json_text(manifest.canonical().decode())
    assert again == manifest
    assert again.hash == manifest.hash


def test_malformed_stored_manifest_is_bad_input() -> None:
    with pytest.raises(BadInput, match="manifest"):
        Manifest.from_json_text('{"format": "clearance-manifest/1"}')


def test_bad_digest_refused() -> None:
    with pytest.raises(BadInput, match="64 lowercase hex"):
        PartEntry("a", PartRole.BODY, "ABC", 1, "text/plain")


def test_floats_are_not_canonical() -> None:
    with pytest.raises(BadInput, match="float"):
        canonical_json({"a": 1.5})


@given(st.dictionaries(st.text(), st.integers() | st.text() | st.booleans() | st.none()))
def test_canonical_json_is_order_independent(d: dict[str, object]) -> None:
    reordered = dict(reversed(list(d.items())))
    assert canonical_json(d) == canonical_json(reordered)
