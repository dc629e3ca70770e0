"""Every legal and every illegal transition of the item state machine.

The expected transitions are written out here from DESIGN.md §2, independently of the table in
``clearance.domain.lifecycle``; every test is parametrised from this list, never from the table.
"""

from __future__ import annotations

import contextlib
import itertools

import pytest

from clearance.domain.lifecycle import TERMINAL, TRANSITIONS, Action, State, next_state
from clearance.errors import IllegalTransition, PolicyRefusal

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
#: DESIGN §2: blocked and rejected are ends; withdrawn is where a recall or a withdrawal ends
EXPECTED_TERMINAL = {State.BLOCKED, State.REJECTED, State.WITHDRAWN}
LEGAL = sorted(EXPECTED.items(), key=lambda kv: (kv[0][0].value, kv[0][1].value))
ILLEGAL = [(s, a) for s, a in itertools.product(State, Action) if (s, a) not in EXPECTED]


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
    assert TERMINAL == EXPECTED_TERMINAL
    for state in EXPECTED_TERMINAL:
        for action in Action:
            with pytest.raises(IllegalTransition):
                next_state(state, action)


def test_published_can_only_be_recalled() -> None:
    allowed = []
    for action in Action:
        with contextlib.suppress(IllegalTransition):
            allowed.append((action, next_state(State.PUBLISHED, action)))
    assert allowed == [(Action.RECALL, State.WITHDRAWN)]
