"""Policy hashes, the policy.loaded event body and the "stricter" rule."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from clearance.canonical import canonical_hash, canonical_json
from clearance.policy import (
    Policy,
    compare,
    is_stricter,
    load_policy,
    policy_event_body,
    policy_from_document,
)
from tests.policy.policy_support import Edit


def test_event_body_is_canonical_json_and_carries_the_chains(default_policy: Policy) -> None:
    body = policy_event_body(default_policy)
    canonical_json(body)  # no floats, only JSON values
    assert body["policy_hash"] == default_policy.content_hash
    assert body["version"] == "2026.03.1"
    assert body["effective_date"] == "2026-03-01"
    assert canonical_hash(body["document"]) == default_policy.content_hash
    public = body["signoff_chains"]["cong_khai"]
    assert public["chain"] == "public_release"
    assert [s["id"] for s in public["stages"]] == [
        "security_review", "unit_review", "leadership_release",
    ]  # fmt: skip
    assert public["stages"][1]["rule"] == {
        "quorum": {
            "count": 1,
            "eligible": {"roles": ["unit_head"], "units": None, "same_unit": True},
        }
    }
    assert "mat" not in body["signoff_chains"]
    assert body["separation_of_duties"]["any_rejection_vetoes"] is True


def test_a_stored_document_rebuilds_the_same_policy(default_policy: Policy) -> None:
    body = policy_event_body(default_policy)
    again = policy_from_document(body["document"])
    assert again.content_hash == default_policy.content_hash
    assert again.chain_for("cong_khai") == default_policy.chain_for("cong_khai")


def test_the_hash_covers_the_included_screening_file(tmp_path: Path) -> None:
    from tests.policy.policy_support import DEFAULT, SCREENING

    (tmp_path / "default.yaml").write_bytes(DEFAULT.read_bytes())
    screening = SCREENING.read_text(encoding="utf-8").replace("top_lines: 12", "top_lines: 13")
    (tmp_path / "screening.yaml").write_text(screening, encoding="utf-8")
    assert load_policy(tmp_path / "default.yaml").content_hash != load_policy(DEFAULT).content_hash


def _stage(doc: dict[str, Any], index: int) -> dict[str, Any]:
    stage = doc["chains"]["public_release"]["stages"][index]
    assert isinstance(stage, dict)
    return stage


STRICTER: list[tuple[str, Edit]] = [
    (
        "a stage added",
        lambda d: d["chains"]["public_release"]["stages"].append(
            {
                "id": "agency_review",
                "label_vi": "x",
                "roles": ["agency_head"],
                "quorum": 1,
                "deadline_hours": 8,
            }
        ),
    ),
    ("a role dropped from a stage", lambda d: _stage(d, 2).update(roles=["provincial_leader"])),
    ("a larger quorum", lambda d: _stage(d, 2).update(quorum=2)),
    ("a conditional stage made unconditional", lambda d: _stage(d, 0).pop("when")),
    ("a channel removed", lambda d: d["channels"].pop("social")),
    ("a file type removed", lambda d: d["channels"]["website"]["file_types"].remove("text/html")),
    (
        "a channel floor raised",
        lambda d: d["channels"]["foreign_partners"].update(implies_level="han_che"),
    ),
    ("quorum all over the same roles", lambda d: _stage(d, 2).update(quorum="all")),
]

LOOSER: list[tuple[str, Edit, str]] = [
    (
        "a stage removed",
        lambda d: d["chains"]["public_release"]["stages"].pop(1),
        "stage unit_review was removed",
    ),
    (
        "a role added",
        lambda d: _stage(d, 2).update(roles=["provincial_leader", "spokesperson", "agency_head"]),
        "stage leadership_release accepts signers the old rule did not",
    ),
    (
        "drafting unit no longer required",
        lambda d: _stage(d, 1).pop("same_unit"),
        "stage unit_review accepts signers",
    ),
    (
        "stage made conditional",
        lambda d: _stage(d, 1).update(when="held_for_review"),
        "stage unit_review no longer always applies",
    ),
    (
        "a channel added",
        lambda d: d["channels"].update(intranet=copy.deepcopy(d["channels"]["press"])),
        "channel intranet was added",
    ),
    (
        "a level accepted by more channels",
        lambda d: d["channels"]["website"]["levels"].append("noi_bo"),
        "channel website accepts more levels",
    ),
    (
        "a channel floor removed",
        lambda d: d["channels"]["foreign_partners"].pop("implies_level"),
        "channel foreign_partners lowered its level floor",
    ),
    (
        "screening changed",
        lambda d: d.update(screening={"include": "screening2.yaml"}),
        "the screening rules changed",
    ),
]


@pytest.mark.parametrize("edit", [c[1] for c in STRICTER], ids=[c[0] for c in STRICTER])
def test_stricter_changes(
    default_policy: Policy, edited: Callable[[Edit], Path], edit: Edit
) -> None:
    new = load_policy(edited(edit))
    result = compare(new, default_policy)
    assert result.looser == ()
    assert is_stricter(new, default_policy)
    assert not is_stricter(default_policy, new) or new.content_hash == default_policy.content_hash


@pytest.mark.parametrize(("edit", "reason"), [c[1:] for c in LOOSER], ids=[c[0] for c in LOOSER])
def test_looser_changes(
    default_policy: Policy, edited: Callable[[Edit], Path], edit: Edit, reason: str
) -> None:
    path = edited(edit)
    extra = path.parent / "screening2.yaml"
    extra.write_text(
        (path.parent / "screening.yaml")
        .read_text(encoding="utf-8")
        .replace("top_lines: 12", "top_lines: 20"),
        encoding="utf-8",
    )
    new = load_policy(path)
    result = compare(new, default_policy)
    assert any(reason in text for text in result.looser), result.looser
    assert not is_stricter(new, default_policy)


def test_identical_policies_are_not_stricter(default_policy: Policy) -> None:
    assert compare(default_policy, default_policy).same
    assert not is_stricter(default_policy, default_policy)


def test_mixed_changes_are_not_stricter(
    default_policy: Policy, edited: Callable[[Edit], Path]
) -> None:
    def mixed(doc: dict[str, Any]) -> None:
        _stage(doc, 2).update(quorum=2)  # tighter
        doc["channels"]["website"]["file_types"].append("image/gif")  # looser

    new = load_policy(edited(mixed))
    assert compare(new, default_policy).looser == ("channel website accepts more file types",)
    assert not is_stricter(new, default_policy)
