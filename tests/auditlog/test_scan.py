"""The verifier's fast line checks agree with the strict parser, and the parallel path finds the
same first bad entry as the single-process one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearance.auditlog import verify as verify_module
from clearance.auditlog.entry import GENESIS_PREV
from clearance.auditlog.scan import check_lines, is_relevant
from tests.auditlog.auditlog_scenario import Scenario, build
from tests.auditlog.lines import ORIGIN, TIME, leaf, strict_ok

MUTATIONS = [
    lambda b: b.replace(b":", b": ", 1),
    lambda b: b.replace(b'"actor"', b'"zactor"'),
    lambda b: b.replace(b'"revision":1', b'"revision":1.0'),
    lambda b: b.replace(b'"revision":1', b'"revision":true'),
    lambda b: b.replace(b'"revision":1', b'"revision":-0'),
    lambda b: b.replace(b'"seq":0', b'"seq":-0'),
    lambda b: b.replace(b'"seq":0', b'"seq":false'),
    lambda b: b.replace(b"\xc3\xb4", b"\\u00f4"),
    lambda b: b.replace(b'"t"', b'"\\u0074"'),
    lambda b: b.replace(b'"t":"', b'"t":"\\ud800'),
    lambda b: b + b" ",
    lambda b: b" " + b,
    lambda b: b[:-1],
    lambda b: b + b"{}",
    lambda b: b.replace(b'{"actor"', b'{"actor":"x","actor"'),
    lambda b: b.replace(TIME.encode(), b"2025-02-30T08:30:00.000000Z"),
    lambda b: b.replace(b'"body":{', b'"body":{"a":[1,{"b":null}],'),
]


@given(st.text(max_size=20), st.sampled_from(range(len(MUTATIONS))), st.integers(0, 3))
@settings(max_examples=300)
def test_fast_check_agrees_with_parse_leaf(text: str, which: int, position: int) -> None:
    good = leaf(t=text, n=position)
    assert check_lines([(0, good, GENESIS_PREV)], ORIGIN)[1] is None
    bad = MUTATIONS[which](good)
    rows = [(0, bad, GENESIS_PREV)]
    _, finding = check_lines(rows, ORIGIN)
    assert (finding is None) == strict_ok(bad), (bad, finding)


def test_first_bad_line_of_a_long_run_is_named() -> None:
    from clearance.auditlog.rfc6962 import leaf_hash

    lines, prev = [], GENESIS_PREV
    for seq in range(5_000):
        line = leaf(seq, prev, t="x" * (seq % 7))
        lines.append(line)
        prev = leaf_hash(line).hex()
    prevs = [GENESIS_PREV] + [leaf_hash(line).hex() for line in lines[:-1]]
    rows = list(zip(range(5_000), lines, prevs, strict=True))
    parsed, finding = check_lines(rows, ORIGIN)
    assert finding is None and len(parsed) == 5_000
    spaced = json.dumps(json.loads(lines[3_333]), sort_keys=True, ensure_ascii=False).encode()
    rows[3_333] = (3_333, spaced, prevs[3_333])
    parsed, finding = check_lines(rows, ORIGIN)
    assert finding is not None and (finding.code, finding.index) == ("entry-malformed", 3_333)
    assert "canonical" in finding.message and len(parsed) == 3_333


def test_relevant_lines_are_picked_by_their_type() -> None:
    assert is_relevant(leaf())
    assert not is_relevant(leaf().replace(b'"item.submitted"', b'"item.withdrawn"'))


@pytest.fixture(scope="module")
def honest(tmp_path_factory: pytest.TempPathFactory) -> tuple[Scenario, Path]:
    return build(tmp_path_factory.mktemp("honest"))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("attack", "expected"),
    [
        (None, None),
        (lambda rows: rows.__setitem__(2, rows[2].replace(b'"binh"', b'"binx"')),
         ("entry-chain", 2)),
        (lambda rows: rows.__setitem__(4, rows[4][:-1]), ("entry-malformed", 4)),
        (lambda rows: rows.__delitem__(5), ("entry-seq", 5)),
        (lambda rows: rows.__setitem__(10, rows[10].replace(b"truong_phong", b"truong_phonx")),
         ("entry-chain", 10)),
    ],
)  # fmt: skip
def test_parallel_path_finds_the_same_first_finding(
    honest: tuple[Scenario, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    attack: object,
    expected: tuple[str, int] | None,
) -> None:
    s, export = honest
    t = tmp_path / "t"
    shutil.copytree(export, t)
    rows = (t / "entries.jsonl").read_bytes().splitlines()
    if callable(attack):
        attack(rows)
    (t / "entries.jsonl").write_bytes(b"".join(r + b"\n" for r in rows))
    monkeypatch.setattr(verify_module, "PARALLEL_THRESHOLD", 0)
    monkeypatch.setattr(verify_module, "SLICE_LINES", 3)
    vkey = s.signer.verifier.vkey
    single = verify_module.verify_export(t, vkey, workers=1)
    parallel = verify_module.verify_export(t, vkey, workers=2)
    assert [f.as_dict() for f in parallel.findings] == [f.as_dict() for f in single.findings]
    got = (single.first.code, single.first.index) if single.first else None
    assert got == expected
    if callable(attack):
        assert rows != (export / "entries.jsonl").read_bytes().splitlines()
