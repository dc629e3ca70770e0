"""orjson's sorted output is canonical_json, byte for byte, for every value a log entry holds; the
verifier's line check with orjson agrees with the strict parser; and without orjson the verifier
reaches the same verdicts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearance import canonical as canonfast
from clearance.auditlog import verify as verify_module
from clearance.auditlog.entry import GENESIS_PREV
from clearance.auditlog.rfc6962 import leaf_hash
from clearance.auditlog.scan import (
    Slice,
    check_lines,
    check_slice,
    is_relevant,
    line_size,
    plan_slices,
)
from clearance.auditlog.tree import Levels
from clearance.canonical import canonical_json
from clearance.errors import BadInput
from tests.auditlog.auditlog_scenario import Scenario, build
from tests.auditlog.lines import ORIGIN, TIME, leaf, strict_ok

needs_orjson = pytest.mark.skipif(canonfast.dumps_sorted is None, reason="orjson is not installed")

# Everything JSON can carry except floats: integers over the whole 64-bit range orjson writes,
# any text (hypothesis leaves out lone surrogates, which canonical_json cannot encode either),
# control characters, DEL, U+2028, astral characters, keys that sort differently in UTF-16.
integers = st.integers(-(2**63), 2**64 - 1)
texts = st.text() | st.sampled_from(["\x00\x1f\x7f\u2028\u2029", "\ue000", "\uffff", "\U0001f600"])
scalars = st.none() | st.booleans() | integers | texts
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(texts, inner, max_size=5),
    max_leaves=40,
)


def assert_same_canonical_form(value: Any) -> None:
    assert canonfast.dumps_sorted is not None and canonfast.loads is not None
    expected = canonical_json(value)
    assert canonfast.dumps_sorted(value) == expected
    assert canonfast.canonical_bytes(value) == expected
    # and reading it back gives the value the standard library reads
    assert canonfast.loads(expected) == json.loads(expected) == value


@needs_orjson
@given(values)
@settings(max_examples=300, deadline=None)
def test_orjson_sorted_output_is_canonical_json(value: Any) -> None:
    assert_same_canonical_form(value)


@needs_orjson
@given(
    st.dictionaries(texts, texts | integers, min_size=1, max_size=4), st.lists(texts, max_size=4)
)
@settings(max_examples=1000, deadline=None)
def test_orjson_escapes_and_sorts_every_string_like_canonical_json(
    mapping: dict[str, Any], strings: list[str]
) -> None:
    assert_same_canonical_form(mapping)
    assert_same_canonical_form(strings)


def test_canonical_bytes_falls_back_beyond_64_bits() -> None:
    big = {"n": 2**64, "m": -(2**63) - 1}
    assert canonfast.canonical_bytes(big) == canonical_json(big)


@needs_orjson
def test_orjson_reads_huge_integers_as_floats_which_float_free_spots() -> None:
    assert canonfast.loads is not None
    data = canonfast.loads(b'{"a":[1,{"b":123456789012345678901234567890}]}')
    assert not canonfast.float_free(data)
    assert canonfast.float_free({"a": [1, {"b": 2**64 - 1}], "c": None, "d": True})


def slice_finding(tmp: Path, lines: list[bytes]) -> tuple[Any, ...]:
    """(first finding, stop, leaf hashes) of one slice over ``lines``."""
    path = tmp / "entries.jsonl"
    data = b"".join(line + b"\n" for line in lines)
    path.write_bytes(data)
    result = check_slice(Slice(str(path), 0, len(data), 0, len(lines), -1, ORIGIN))
    return result.finding, result.stop, result.hashes


MUTATIONS = [
    lambda b: b,
    lambda b: b.replace(b":", b": ", 1),
    lambda b: b.replace(b'"revision":1', b'"revision":1.0'),
    lambda b: b.replace(b'"revision":1', b'"revision":123456789012345678901234567890'),
    lambda b: b.replace(b'"body":{', b'"body":{"big":123456789012345678901234567890,'),
    lambda b: b.replace(b'"body":{', b'"body":{"big":-9223372036854775809,'),
    lambda b: b.replace(b'"body":{', b'"body":{"f":1.5,'),
    lambda b: b.replace(b'"body":{', b'"body":{"f":1e400,'),
    lambda b: b.replace(b'"body":{', b'"body":{"z":-0,'),
    lambda b: b.replace(b'"body":{', b'"body":{"z":[NaN],'),
    lambda b: b.replace(b'"seq":0', b'"seq":18446744073709551616'),
    lambda b: b.replace(b"\xc3\xb4", b"\\u00f4"),
    lambda b: b.replace(b'"t":"', b'"t":"\\ud800'),
    lambda b: b.replace(b'"t":"', b'"t":"\\ud83d\\ude00'),
    lambda b: b.replace(b'"t":"', b'"t":"\xf0\x9f\x98\x80'),
    lambda b: b.replace(b'"t":"', b'"t":"\\u001f'),
    lambda b: b.replace(b'"t":"', b'"t":"\\u001F'),
    lambda b: b.replace(b'"t":"', b'"t":"\\/'),
    lambda b: b.replace(b'"t":"', b'"t":"\x7f'),
    lambda b: b.replace(b'"t":"', b'"t":"\xed\xa0\x80'),
    lambda b: b.replace(b'{"actor"', b'{"actor":"x","actor"'),
    lambda b: b.replace(b'"body":{', b'"body":{"a":1,"a":1,'),
    lambda b: b + b" ",
    lambda b: b[:-1],
    lambda b: b.replace(TIME.encode(), b"2025-02-30T08:30:00.000000Z"),
    lambda b: b.replace(b'"origin":"', b'"origin":"x'),
]


@given(st.text(max_size=20), st.sampled_from(range(len(MUTATIONS))), integers)
@settings(max_examples=300, deadline=None)
def test_slice_check_agrees_with_parse_leaf(
    tmp_path_factory: pytest.TempPathFactory, text: str, which: int, number: int
) -> None:
    line = MUTATIONS[which](leaf(t=text + "ô", n=number))
    finding, stop, hashes = slice_finding(tmp_path_factory.mktemp("s"), [line])
    assert (finding is None) == strict_ok(line), (line, finding)
    assert finding == check_lines([(0, line, GENESIS_PREV)], ORIGIN)[1]
    # item.submitted is a workflow line: a bad one ends the replay (if it still reads as one)
    assert stop == (0 if finding is not None and is_relevant(line) else None)
    assert hashes == leaf_hash(line)


def test_slice_names_the_first_bad_line_and_keeps_hashing(tmp_path: Path) -> None:
    lines, prev = [], GENESIS_PREV
    for seq in range(50):
        line = leaf(seq, prev, t="x" * (seq % 7))
        lines.append(line)
        prev = leaf_hash(line).hex()
    lines[20] = lines[20].replace(b'"t":"', b'"t":"y')  # breaks the chain at 21
    finding, stop, hashes = slice_finding(tmp_path, lines)
    assert finding is not None and (finding.code, finding.index) == ("entry-chain", 20)
    assert stop == 21
    assert hashes == b"".join(leaf_hash(line) for line in lines)


@pytest.mark.parametrize("lines_per_slice", [1, 2, 3, 7, 1000])
def test_slices_cover_the_file_line_by_line(tmp_path: Path, lines_per_slice: int) -> None:
    rows = [b'{"n":' + b"1" * (n % 13 + 1) + b"}" for n in range(40)]
    path = tmp_path / "entries.jsonl"
    data = b"".join(r + b"\n" for r in rows)
    path.write_bytes(data)
    step = line_size(path) * lines_per_slice
    parts = list(plan_slices(path, len(data), ORIGIN, step))
    assert parts[0].start == 0 and parts[-1].end == len(data)
    index = 0
    for before, part in zip([None, *parts], parts, strict=False):
        assert part.first_index == index
        assert data[part.start : part.end].count(b"\n") == part.lines
        if before is None:
            assert part.before == -1
        else:
            assert before.end == part.start
            assert data[part.before : part.start] == rows[index - 1] + b"\n"
        index += part.lines
    assert index == len(rows)


def test_levels_from_a_blob_equal_levels_from_a_list() -> None:
    hashes = [leaf_hash(str(n).encode()) for n in range(37)]
    a, b = Levels(hashes), Levels.from_blob(b"".join(hashes))
    for size in range(1, 38):
        assert a.root(size) == b.root(size)
    with pytest.raises(BadInput):
        Levels.from_blob(b"x" * 33)


@pytest.fixture(scope="module")
def honest(tmp_path_factory: pytest.TempPathFactory) -> tuple[Scenario, Path]:
    return build(tmp_path_factory.mktemp("honest"))


@pytest.mark.parametrize(
    "attack",
    [
        None,
        lambda rows: rows.__setitem__(2, rows[2].replace(b'"binh"', b'"binx"')),
        lambda rows: rows.__setitem__(4, rows[4].replace(b":", b": ", 1)),
        lambda rows: rows.__delitem__(5),
        lambda rows: rows.__setitem__(9, rows[9].replace(b'"body":{', b'"body":{"f":1.5,')),
    ],
)
def test_same_report_without_orjson(
    honest: tuple[Scenario, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, attack: Any
) -> None:
    s, export = honest
    t = tmp_path / "t"
    shutil.copytree(export, t)
    rows = (t / "entries.jsonl").read_bytes().splitlines()
    if attack is not None:
        attack(rows)
    (t / "entries.jsonl").write_bytes(b"".join(r + b"\n" for r in rows))
    vkey = s.signer.verifier.vkey
    monkeypatch.setattr(verify_module, "SLICE_LINES", 4)
    fast = verify_module.verify_export(t, vkey).as_dict()
    monkeypatch.setattr(canonfast, "loads", None)
    monkeypatch.setattr(canonfast, "dumps_sorted", None)
    assert verify_module.verify_export(t, vkey).as_dict() == fast
    assert fast["ok"] == (attack is None)


def test_verification_leaves_the_garbage_collector_as_it_found_it(
    honest: tuple[Scenario, Path],
) -> None:
    import gc

    s, export = honest
    assert gc.isenabled()
    assert verify_module.verify_export(export, s.signer.verifier.vkey).ok
    assert gc.isenabled()
    gc.disable()
    try:
        assert verify_module.verify_export(export, s.signer.verifier.vkey).ok
        assert not gc.isenabled()
    finally:
        gc.enable()
