"""The engine's own rules, each example chosen so that deleting or flipping the guard it names
turns it red (found by scripts/mutation_check.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from clearance.approval import (
    AllOf,
    AnyOf,
    Chain,
    Decision,
    DecisionKind,
    Eligibility,
    Quorum,
    Signer,
    SignoffState,
    SignoffStatus,
    Stage,
    Standing,
    at_least_as_strict,
    evaluate,
    walk_chain,
)

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
M = "c" * 64
A = Eligibility(frozenset({"a"}))
B = Eligibility(frozenset({"b"}))
AB = Eligibility(frozenset({"a", "b"}))
A_U1 = Eligibility(frozenset({"a"}), frozenset({"u1"}))
A_U12 = Eligibility(frozenset({"a"}), frozenset({"u1", "u2"}))
A_SAME = Eligibility(frozenset({"a"}), same_unit=True)


@pytest.mark.parametrize(
    ("narrow", "wide", "expected"),
    [
        (A, AB, True),
        (AB, A, False),  # more roles admit more people
        (A_U1, A_U12, True),
        (A_U12, A_U1, False),  # more units
        (A, A_U1, False),  # any unit is wider than one unit
        (A_U1, A, True),
        (A_SAME, A, True),
        (A, A_SAME, False),  # the drafting unit only is narrower
    ],
)
def test_narrower_or_equal(narrow: Eligibility, wide: Eligibility, expected: bool) -> None:
    assert narrow.narrower_or_equal(wide) is expected


@pytest.mark.parametrize(
    ("new", "old", "expected"),
    [
        (Quorum(2, A), Quorum(1, A), True),
        (Quorum(1, A), Quorum(2, A), False),  # fewer signers
        (Quorum(1, A_U1), Quorum(1, A), True),
        (Quorum(1, A), Quorum(1, A_U1), False),  # a wider slot
        (AllOf((Quorum(1, A), Quorum(1, B))), Quorum(1, A), True),
        (AnyOf((Quorum(1, A), Quorum(1, B))), Quorum(1, A), False),  # b alone now suffices
        # two old slots need two distinct new slots: one new slot cannot fill both
        (Quorum(1, A), AllOf((Quorum(1, A), Quorum(1, AB))), False),
        (AllOf((Quorum(1, A), Quorum(1, B))), AllOf((Quorum(1, AB), Quorum(1, A))), True),
    ],
)
def test_at_least_as_strict(
    new: Quorum | AllOf | AnyOf, old: Quorum | AllOf, expected: bool
) -> None:
    assert at_least_as_strict(new, old) is expected


def test_a_later_alternative_that_is_met_wins() -> None:
    rule = AnyOf((Quorum(1, A), Quorum(1, B)))
    result = evaluate(rule, [Signer("x", frozenset({"b"}))], None)
    assert result.satisfied and result.counted == ("x",) and result.missing == ()


def test_evaluation_needs_distinct_signers() -> None:
    with pytest.raises(ValueError, match="one person counts once"):
        evaluate(Quorum(2, A), [Signer("x", frozenset({"a"}))] * 2, None)


def _approve(who: str, role: str, stage: str, minutes: int) -> Decision:
    return Decision(who, frozenset({role}), None, DecisionKind.APPROVE, M, stage,
                    T0 + timedelta(minutes=minutes))  # fmt: skip


CHAIN = Chain(
    "c",
    (Stage("first", "Một", Quorum(1, A), 24), Stage("second", "Hai", Quorum(1, B), 48)),
)


def _walk(*decisions: Decision, excluded: tuple[str, ...] = ("author",)) -> SignoffState:
    return walk_chain(
        CHAIN, level="l", policy_hash="p" * 64, manifest_hash=M, decisions=decisions,
        excluded=excluded, submitted_at=T0,
    )  # fmt: skip


def test_progress_times_and_json_of_a_waiting_chain() -> None:
    state = _walk(_approve("x", "a", "first", 10))
    assert state.status is SignoffStatus.WAITING
    first, second = state.stages
    assert (first.complete, first.opened_at, first.completed_at) == (
        True, T0, T0 + timedelta(minutes=10),
    )  # fmt: skip
    assert first.due_at == T0 + timedelta(hours=24)
    assert (second.complete, second.opened_at, second.completed_at) == (
        False, T0 + timedelta(minutes=10), None,
    )  # fmt: skip
    assert second.due_at == T0 + timedelta(minutes=10, hours=48)
    data = state.to_json()
    assert data["open_stage"] == "second"
    assert [s["due_at"] for s in data["stages"]] == [
        (T0 + timedelta(hours=24)).isoformat(),
        (T0 + timedelta(minutes=10, hours=48)).isoformat(),
    ]


def test_a_stage_not_yet_open_has_no_times_and_json_says_none() -> None:
    state = walk_chain(
        CHAIN, level="l", policy_hash="p" * 64, manifest_hash=M, decisions=(),
        excluded=("author",),
    )  # fmt: skip
    second = state.stages[1]
    assert (second.opened_at, second.due_at, second.counted) == (None, None, ())
    assert state.to_json()["stages"][1]["due_at"] is None
    done = _walk(_approve("x", "a", "first", 1), _approve("y", "b", "second", 2))
    assert done.status is SignoffStatus.APPROVED
    assert done.to_json()["open_stage"] is None


def test_the_excluded_never_count_even_with_the_role() -> None:
    state = _walk(_approve("author", "a", "first", 1))
    assert state.status is SignoffStatus.WAITING
    assert [r.standing for r in state.decisions] == [Standing.EXCLUDED]
    assert not state.may_sign("author", {"a"}, None)
    assert state.may_sign("someone", {"a"}, None)
