"""Checkpoint thinning on export: fewer stored checkpoints, no false alarms, same findings."""

from __future__ import annotations

from pathlib import Path

import pytest

from clearance.auditlog.export import CheckpointSelection, parse_selection
from clearance.auditlog.verify import Report, verify_export
from clearance.errors import BadInput
from tests.auditlog.auditlog_scenario import HONEST_SIZE, Scenario


def verify(s: Scenario, export: Path) -> Report:
    return verify_export(export, s.signer.verifier.vkey)


def stored(export: Path) -> list[int]:
    return sorted(int(p.name) for p in (export / "checkpoints").iterdir())


@pytest.mark.parametrize(
    ("selection", "kept"),
    [
        ("all", list(range(1, HONEST_SIZE))),
        ("latest", []),
        ("every:5", [1, 5, 10]),
        ("every:1", list(range(1, HONEST_SIZE))),
        ("every:1000", [1]),
    ],
)
def test_thinned_exports_verify(
    honest_story: Scenario, tmp_path: Path, selection: str, kept: list[int]
) -> None:
    export = honest_story.export(tmp_path / "export", selection)
    assert stored(export) == kept
    report = verify(honest_story, export)
    # The two sign-offs cite checkpoints 9 and 10, which "latest" and "every:5" leave out.
    assert report.ok, report.findings
    assert report.checkpoints == len(kept) + 1
    assert report.signatures == 2


def test_signoff_citing_a_root_the_log_never_had_is_a_finding(
    forged_story: Scenario, tmp_path: Path
) -> None:
    """The approver was shown a checkpoint of a forged log (right size, other root): the
    verifier recomputes the tree at that size whether or not the checkpoint was exported."""
    for selection in ("all", "latest", "every:5"):
        report = verify(forged_story, forged_story.export(tmp_path / selection, selection))
        assert [(f.code, f.index) for f in report.findings] == [
            ("signoff-checkpoint", HONEST_SIZE + 3)
        ], selection


@pytest.mark.parametrize("text", ["", "some", "every", "every:0", "every:-1", "every:x", "al"])
def test_bad_selection_is_refused(text: str) -> None:
    with pytest.raises(BadInput, match="--checkpoints"):
        parse_selection(text)


def test_selection_parses() -> None:
    assert parse_selection("all") == CheckpointSelection(None)
    assert parse_selection("latest") == CheckpointSelection(0)
    assert parse_selection("every:250") == CheckpointSelection(250)
