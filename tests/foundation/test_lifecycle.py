"""Every legal and every illegal transition of the item state machine."""

from __future__ import annotations

import itertools

import pytest

from clearance.domain.lifecycle import TERMINAL, TRANSITIONS, Action, State, next_state
from clearance.errors import IllegalTransition, PolicyRefusal

LEGAL = sorted(TRANSITIONS.items(), key=lambda kv: (kv[0][0].value, kv[0][1].value))
ILLEGAL = [(s, a) for s, a in itertools.product(State, Action) if (s, a) not in TRANSITIONS]

EXPECTED = {
    (State.DRAFT, Action.SUBMIT): State.SUBMITTED,
    (State.SUBMITTED, Action.CLASSIFY): State.CLASSIFIED,
    (State.CLASSIFIED, Action.BLOCK): State.BLOCKED,
    (State.CLASSIFIED, Action.AWAIT_SIGNOFF): State.AWAITING_SIGNOFF,
    (State.AWAITING_SIGNOFF, Action.APPROVE): State.APPROVED,
    (State.AWAITING_SIGNOFF, Action.REQUEST_CHANGES): State.CHANGES_REQUESTED,
    (State.AWAITING_SIGNOFF, Action.REJECT): State.REJECTED,
    (State.CHANGES_REQUESTED, Action.RESUBMIT): State.SUBMITTED,
    (State.APPROVED, Action.PUBLISH): State.PUBLISHED,
    (State.PUBLISHED, Action.RECALL): State.WITHDRAWN,
    (State.DRAFT, Action.WITHDRAW): State.WITHDRAWN,
    (State.SUBMITTED, Action.WITHDRAW): State.WITHDRAWN,
    (State.CLASSIFIED, Action.WITHDRAW): State.WITHDRAWN,
    (State.AWAITING_SIGNOFF, Action.WITHDRAW): State.WITHDRAWN,
    (State.CHANGES_REQUESTED, Action.WITHDRAW): State.WITHDRAWN,
    (State.APPROVED, Action.WITHDRAW): State.WITHDRAWN,
}


def test_the_table_is_exactly_the_design() -> None:
    assert TRANSITIONS == EXPECTED


@pytest.mark.parametrize(("pair", "target"), LEGAL, ids=str)
def test_legal_transition(pair: tuple[State, Action], target: State) -> None:
    state, action = pair
    assert next_state(state, action) is target


@pytest.mark.parametrize(("state", "action"), ILLEGAL, ids=str)
def test_illegal_transition_raises_a_policy_error(state: State, action: Action) -> None:
    with pytest.raises(IllegalTransition) as info:
        next_state(state, action)
    message = str(info.value)
    assert state.value in message
    assert action.value.replace("_", " ") in message
    assert isinstance(info.value, PolicyRefusal)


def test_terminal_states_allow_nothing() -> None:
    for state in TERMINAL:
        assert not [a for (s, a) in TRANSITIONS if s is state]


def test_published_can_only_be_recalled() -> None:
    assert [a for (s, a) in TRANSITIONS if s is State.PUBLISHED] == [Action.RECALL]
