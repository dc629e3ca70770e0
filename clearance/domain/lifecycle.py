"""The life of an item (DESIGN §2) as a pure state machine.

```
draft ─submit→ submitted ─classify→ classified ─screen→ blocked (end)
                                              └──────→ awaiting_signoff ─approve→ approved ─publish→ published
              changes_requested ←─request changes─┘   └─reject→ rejected (end)   published ─recall→ withdrawn
new revision: changes_requested → submitted; withdraw: any state before publication → withdrawn
```
"""

from __future__ import annotations

from enum import StrEnum

from clearance.errors import IllegalTransition


class State(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    CLASSIFIED = "classified"
    BLOCKED = "blocked"
    AWAITING_SIGNOFF = "awaiting_signoff"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


class Action(StrEnum):
    SUBMIT = "submit"
    CLASSIFY = "classify"
    BLOCK = "block"
    AWAIT_SIGNOFF = "await_signoff"
    REQUEST_CHANGES = "request_changes"
    REJECT = "reject"
    APPROVE = "approve"
    RESUBMIT = "resubmit"
    PUBLISH = "publish"
    RECALL = "recall"
    WITHDRAW = "withdraw"


_BEFORE_PUBLICATION = (
    State.DRAFT,
    State.SUBMITTED,
    State.CLASSIFIED,
    State.AWAITING_SIGNOFF,
    State.CHANGES_REQUESTED,
    State.APPROVED,
)

#: (state, action) -> next state; everything not listed is illegal.
TRANSITIONS: dict[tuple[State, Action], State] = {
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
    **{(state, Action.WITHDRAW): State.WITHDRAWN for state in _BEFORE_PUBLICATION},
}

TERMINAL = frozenset({State.BLOCKED, State.REJECTED, State.WITHDRAWN})

_HINTS: dict[State, str] = {
    State.BLOCKED: "screening blocked it; submit a new item without the blocked content",
    State.REJECTED: "it was rejected; submit a new item if the content changed",
    State.WITHDRAWN: "it was withdrawn; submit a new item",
    State.PUBLISHED: "it is already published; recall it first",
    State.AWAITING_SIGNOFF: "it is waiting for sign-off",
    State.CHANGES_REQUESTED: "changes were requested; submit a new revision",
}


def next_state(state: State, action: Action) -> State:
    """Return the state ``action`` leads to from ``state`` or raise IllegalTransition."""
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        allowed = sorted(a.value for (s, a) in TRANSITIONS if s is state)
        hint = _HINTS.get(state, "")
        options = ", ".join(allowed) if allowed else "nothing"
        raise IllegalTransition(
            f"cannot {action.value.replace('_', ' ')} an item in state {state.value}"
            f" (allowed: {options}){'; ' + hint if hint else ''}",
            code="item.illegal_transition",
            params={"action": action.value, "state": state.value},
        ) from None


def allowed_actions(state: State) -> frozenset[Action]:
    return frozenset(a for (s, a) in TRANSITIONS if s is state)
