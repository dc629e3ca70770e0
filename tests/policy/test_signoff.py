"""The sign-off rules engine: examples on the default policy and properties on a quorum policy."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearance.errors import PolicyRefusal
from clearance.policy import (
    Decision,
    DecisionKind,
    Policy,
    SignoffState,
    SignoffStatus,
    Standing,
    load_policy,
    signoff_status,
)
from tests.policy.policy_support import default_document, write_policy

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
CUR = "c" * 64
OLD = "0" * 64
AUTHOR, UPLOADER, EDITOR = 1, 2, 3


def decision(
    who: int,
    roles: str,
    stage: str,
    minutes: int,
    kind: DecisionKind = DecisionKind.APPROVE,
    *,
    unit: str | None = "so_ngoai_vu",
    manifest: str = CUR,
) -> Decision:
    return Decision(
        approver_id=who,
        roles=frozenset(roles.split()),
        unit=unit,
        kind=kind,
        manifest_hash=manifest,
        stage=stage,
        at=T0 + timedelta(minutes=minutes),
    )


def status(policy: Policy, decisions: Sequence[Decision], **kw: Any) -> SignoffState:
    args: dict[str, Any] = {
        "level": "cong_khai",
        "manifest_hash": CUR,
        "author_id": AUTHOR,
        "uploader_ids": (UPLOADER,),
        "editor_ids": (EDITOR,),
        "drafting_unit": "so_ngoai_vu",
        "submitted_at": T0,
    }
    args.update(kw)
    return signoff_status(policy, decisions=decisions, **args)


# --- examples on the default policy -------------------------------------------------------------


def test_unit_head_then_spokesperson_approves(default_policy: Policy) -> None:
    first = decision(10, "unit_head", "unit_review", 5)
    state = status(default_policy, [first])
    assert state.status is SignoffStatus.WAITING
    assert state.open_stage is not None and state.open_stage.stage_id == "leadership_release"
    assert state.may_sign(11, {"spokesperson"}, None)
    assert not state.may_sign(12, {"unit_head"}, "so_ngoai_vu")
    assert state.missing == ("leadership_release: 1 more from provincial_leader or spokesperson",)
    done = status(default_policy, [first, decision(11, "spokesperson", "leadership_release", 9)])
    assert done.status is SignoffStatus.APPROVED
    assert done.open_stage is None and done.missing == ()
    assert not done.may_sign(12, {"provincial_leader"}, None)


def test_the_first_stage_needs_the_head_of_the_drafting_unit(default_policy: Policy) -> None:
    other_unit = decision(10, "unit_head", "unit_review", 5, unit="so_tai_chinh")
    state = status(default_policy, [other_unit])
    assert state.status is SignoffStatus.WAITING
    assert state.decisions[0].standing is Standing.NOT_ELIGIBLE
    assert state.may_sign(11, {"unit_head"}, "so_ngoai_vu")
    assert not state.may_sign(11, {"unit_head"}, "so_tai_chinh")
    unknown_unit = status(default_policy, [], drafting_unit=None)
    assert not unknown_unit.may_sign(11, {"unit_head"}, "so_ngoai_vu")


def test_one_person_counts_once_across_stages(default_policy: Policy) -> None:
    both = "unit_head spokesperson"
    state = status(
        default_policy,
        [decision(10, both, "unit_review", 1), decision(10, both, "leadership_release", 2)],
    )
    assert state.status is SignoffStatus.WAITING
    assert state.decisions[1].standing is Standing.ALREADY_COUNTED
    assert not state.may_sign(10, {"spokesperson"}, None)


def test_author_uploader_and_editor_never_approve(default_policy: Policy) -> None:
    state = status(
        default_policy,
        [decision(who, "unit_head", "unit_review", who) for who in (AUTHOR, UPLOADER, EDITOR)],
    )
    assert state.status is SignoffStatus.WAITING
    assert {d.standing for d in state.decisions} == {Standing.EXCLUDED}
    assert not state.may_sign(AUTHOR, {"unit_head"}, "so_ngoai_vu")


def test_a_new_manifest_supersedes_earlier_approvals(default_policy: Policy) -> None:
    old = [
        decision(10, "unit_head", "unit_review", 1, manifest=OLD),
        decision(11, "spokesperson", "leadership_release", 2, manifest=OLD),
    ]
    state = status(default_policy, old)
    assert state.status is SignoffStatus.WAITING
    assert len(state.superseded) == 2
    assert status(default_policy, old, manifest_hash=OLD).status is SignoffStatus.APPROVED


def test_rejection_and_change_requests(default_policy: Policy) -> None:
    approve = decision(10, "unit_head", "unit_review", 1)
    changes = decision(11, "spokesperson", "leadership_release", 2, DecisionKind.REQUEST_CHANGES)
    reject = decision(12, "provincial_leader", "leadership_release", 3, DecisionKind.REJECT)
    assert status(default_policy, [approve, changes]).status is SignoffStatus.CHANGES_REQUESTED
    assert status(default_policy, [approve, changes, reject]).status is SignoffStatus.REJECTED
    stale_reject = decision(
        12, "provincial_leader", "unit_review", 0, DecisionKind.REJECT, manifest=OLD
    )
    assert status(default_policy, [approve, stale_reject]).status is SignoffStatus.WAITING


def test_held_items_need_the_security_officer_first(default_policy: Policy) -> None:
    decisions = [
        decision(10, "unit_head", "unit_review", 1),
        decision(11, "spokesperson", "leadership_release", 2),
    ]
    state = status(default_policy, decisions, held_for_review=True)
    assert state.status is SignoffStatus.WAITING
    assert state.open_stage is not None and state.open_stage.stage_id == "security_review"
    assert {d.standing for d in state.decisions} == {Standing.NOT_OPEN}
    late = [decision(9, "security_officer", "security_review", 3)] + [
        decision(int(d.approver_id), " ".join(d.roles), d.stage, 4 + i)
        for i, d in enumerate(decisions)
    ]
    assert status(default_policy, late, held_for_review=True).status is SignoffStatus.APPROVED


def test_decisions_before_the_stage_opened_do_not_count(default_policy: Policy) -> None:
    early = decision(11, "spokesperson", "leadership_release", 1)
    state = status(default_policy, [early, decision(10, "unit_head", "unit_review", 5)])
    assert state.status is SignoffStatus.WAITING
    assert state.decisions[0].standing is Standing.NOT_OPEN
    before_submission = decision(10, "unit_head", "unit_review", -5)
    assert status(default_policy, [before_submission]).decisions[0].standing is Standing.NOT_OPEN


def test_unknown_stage_and_deadlines(default_policy: Policy) -> None:
    state = status(default_policy, [decision(10, "unit_head", "final_review", 1)])
    assert state.decisions[0].standing is Standing.UNKNOWN_STAGE
    assert state.open_stage is not None
    assert state.open_stage.due_at == T0 + timedelta(hours=24)
    after = status(default_policy, [decision(10, "unit_head", "unit_review", 30)])
    assert after.open_stage is not None
    assert after.open_stage.due_at == T0 + timedelta(minutes=30, hours=48)


def test_state_secret_levels_have_no_signoff(default_policy: Policy) -> None:
    with pytest.raises(PolicyRefusal, match="can never be published"):
        status(default_policy, [], level="mat")


# --- properties on a policy with quorums ------------------------------------------------------

ROLES = ("reviewer", "leader", "spokesperson", "security_officer", "unit_head")
STAGES = ("review", "release", "security", "bogus")


@pytest.fixture(scope="module")
def quorum_policy(tmp_path_factory: pytest.TempPathFactory) -> Policy:
    doc = default_document()
    doc["signoff_roles"].update(
        {
            "reviewer": {"label_vi": "Người rà soát"},
            "leader": {"label_vi": "Lãnh đạo"},
        }
    )
    doc["chains"]["public_release"]["stages"] = [
        {
            "id": "review",
            "label_vi": "Rà soát",
            "roles": ["reviewer"],
            "quorum": 2,
            "of": 3,
            "deadline_hours": 24,
        },
        {
            "id": "release",
            "label_vi": "Duyệt đăng",
            "roles": ["leader", "spokesperson"],
            "quorum": "all",
            "deadline_hours": 24,
        },
        {
            "id": "security",
            "label_vi": "Bảo mật",
            "when": "held_for_review",
            "roles": ["security_officer"],
            "quorum": 1,
            "deadline_hours": 24,
        },
    ]
    folder: Path = tmp_path_factory.mktemp("quorum")
    return load_policy(write_policy(folder, doc))


decisions_strategy = st.lists(
    st.builds(
        Decision,
        approver_id=st.integers(1, 8),
        roles=st.frozensets(st.sampled_from(ROLES), max_size=3),
        unit=st.sampled_from([None, "so_ngoai_vu"]),
        kind=st.sampled_from(list(DecisionKind)),
        manifest_hash=st.sampled_from([CUR, CUR, CUR, OLD]),
        stage=st.sampled_from(STAGES),
        at=st.integers(0, 60).map(lambda m: T0 + timedelta(minutes=m)),
    ),
    max_size=14,
)


def _quorum_status(policy: Policy, decisions: Sequence[Decision], held: bool) -> SignoffState:
    return status(policy, decisions, held_for_review=held, submitted_at=None)


def _requirement_met(stage: str, approvers: list[Decision]) -> bool:
    if stage == "review":
        return len({d.approver_id for d in approvers if "reviewer" in d.roles}) >= 2
    if stage == "release":
        return any(
            "leader" in a.roles and "spokesperson" in b.roles and a.approver_id != b.approver_id
            for a in approvers
            for b in approvers
        )
    return any("security_officer" in d.roles for d in approvers)


@settings(max_examples=300, deadline=None)
@given(decisions=decisions_strategy, held=st.booleans())
def test_no_approval_without_a_quorum_of_distinct_eligible_approvers(
    quorum_policy: Policy, decisions: list[Decision], held: bool
) -> None:
    state = _quorum_status(quorum_policy, decisions, held)
    counted = [r.decision for r in state.decisions if r.standing is Standing.COUNTED]
    people = [d.approver_id for d in counted]
    assert len(people) == len(set(people)), "one person counted twice"
    for d in counted:
        assert d.manifest_hash == CUR and d.kind.approves
        assert d.approver_id not in (AUTHOR, UPLOADER, EDITOR)
    if state.status is SignoffStatus.APPROVED:
        assert not any(d.manifest_hash == CUR and not d.kind.approves for d in decisions), (
            "approved despite a current rejection or change request"
        )
        needed = ["review", "release"] + (["security"] if held else [])
        for stage in needed:
            in_stage = [d for d in counted if d.stage == stage]
            assert _requirement_met(stage, in_stage), f"stage {stage} approved without quorum"


@settings(max_examples=200, deadline=None)
@given(decisions=decisions_strategy, held=st.booleans())
def test_the_author_uploaders_and_editors_never_count(
    quorum_policy: Policy, decisions: list[Decision], held: bool
) -> None:
    excluded = {AUTHOR, UPLOADER, EDITOR}
    state = _quorum_status(quorum_policy, decisions, held)
    without = [d for d in decisions if not (d.approver_id in excluded and d.kind.approves)]
    assert _quorum_status(quorum_policy, without, held).status is state.status
    assert not (state.counted & excluded)
    for user in excluded:
        assert not state.may_sign(user, set(ROLES), "so_ngoai_vu")


@settings(max_examples=200, deadline=None)
@given(decisions=decisions_strategy, held=st.booleans(), who=st.integers(1, 8))
def test_a_rejection_always_vetoes(
    quorum_policy: Policy, decisions: list[Decision], held: bool, who: int
) -> None:
    reject = decision(who, "leader", "release", 30, DecisionKind.REJECT)
    state = _quorum_status(quorum_policy, [*decisions, reject], held)
    assert state.status is SignoffStatus.REJECTED
    assert state.open_stage is None and not state.may_sign(9, set(ROLES), None)


@settings(max_examples=200, deadline=None)
@given(decisions=decisions_strategy, held=st.booleans())
def test_stale_decisions_never_count(
    quorum_policy: Policy, decisions: list[Decision], held: bool
) -> None:
    state = _quorum_status(quorum_policy, decisions, held)
    current_only = _quorum_status(
        quorum_policy, [d for d in decisions if d.manifest_hash == CUR], held
    )
    assert state.status is current_only.status
    assert state.counted == current_only.counted
    assert state.missing == current_only.missing
    stale = [r for r in state.decisions if r.decision.manifest_hash != CUR]
    assert all(r.standing is Standing.SUPERSEDED for r in stale)


@settings(max_examples=200, deadline=None)
@given(
    decisions=decisions_strategy,
    held=st.booleans(),
    who=st.integers(1, 12),
    roles=st.frozensets(st.sampled_from(ROLES), max_size=3),
)
def test_may_sign_means_the_signature_makes_progress(
    quorum_policy: Policy, decisions: list[Decision], held: bool, who: int, roles: frozenset[str]
) -> None:
    state = _quorum_status(quorum_policy, decisions, held)
    if not state.may_sign(who, roles, None):
        return
    assert state.open_stage is not None
    signed = Decision(
        who,
        roles,
        None,
        DecisionKind.APPROVE,
        CUR,
        state.open_stage.stage_id,
        T0 + timedelta(minutes=61),
    )
    after = _quorum_status(quorum_policy, [*decisions, signed], held)
    assert who in after.counted
    stage_id = state.open_stage.stage_id
    progress = next(p for p in after.stages if p.stage_id == stage_id)
    assert who in progress.counted
    assert len(progress.counted) == len(state.open_stage.counted) + 1
