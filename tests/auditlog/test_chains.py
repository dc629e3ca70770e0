"""The offline chain evaluator agrees with the online sign-off engine (``clearance.policy``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from clearance.auditlog import chains
from clearance.auditlog.entry import format_time
from clearance.canonical import canonical_hash
from clearance.errors import BadInput
from clearance.policy import (
    AllOf,
    AnyOf,
    Chain,
    Decision,
    DecisionKind,
    Eligibility,
    Quorum,
    Rule,
    Stage,
    StageCondition,
    load_policy,
    policy_event_body,
    signoff_status,
)

REPO = Path(__file__).resolve().parents[2]
ROLES = ("a", "b")
UNITS = ("u1", "u2")
PEOPLE = {"p0": "u1", "p1": "u1", "p2": "u2", "p3": None, "p4": "u2"}
M, OTHER = "11" * 32, "22" * 32
T0 = datetime(2026, 3, 1, 8, tzinfo=UTC)
MEMO: chains.Memo = {}


@dataclass(frozen=True)
class _Policy:
    """The two things ``signoff_status`` reads of a policy."""

    chain: Chain
    content_hash: str = "00" * 32

    def chain_for(self, level: str) -> Chain | None:
        return self.chain


eligibility = st.builds(
    Eligibility,
    roles=st.frozensets(st.sampled_from(ROLES), min_size=1),
    units=st.none() | st.frozensets(st.sampled_from(UNITS), min_size=1),
    same_unit=st.booleans(),
)
quorum = st.builds(Quorum, count=st.integers(1, 2), eligible=eligibility)
rules: st.SearchStrategy[Rule] = st.recursive(
    quorum,
    lambda inner: (
        st.builds(AllOf, st.lists(inner, min_size=1, max_size=2).map(tuple))
        | st.builds(AnyOf, st.lists(inner, min_size=1, max_size=2).map(tuple))
    ),
    max_leaves=4,
)


@st.composite
def chains_(draw: st.DrawFn) -> Chain:
    count = draw(st.integers(1, 3))
    stages = tuple(
        Stage(
            id=f"s{i}",
            label_vi=f"s{i}",
            rule=draw(rules),
            deadline_hours=24,
            when=draw(st.sampled_from(list(StageCondition))),
        )
        for i in range(count)
    )
    return Chain("c", stages)


@st.composite
def decisions_(draw: st.DrawFn, stage_ids: list[str]) -> list[Decision]:
    n = draw(st.integers(0, 10))
    times = draw(st.lists(st.integers(0, 10_000), min_size=n, max_size=n, unique=True))
    kinds = st.sampled_from(list(DecisionKind) + [DecisionKind.APPROVE] * 16)
    out = []
    for t in times:
        who = draw(st.sampled_from(sorted(PEOPLE)))
        out.append(
            Decision(
                approver_id=who,
                roles=frozenset({draw(st.sampled_from(ROLES))}),
                unit=PEOPLE[who],
                kind=draw(kinds),
                manifest_hash=draw(st.sampled_from([M, M, M, OTHER])),
                stage=draw(st.sampled_from([*stage_ids, "nowhere"])),
                at=T0 + timedelta(seconds=t),
            )
        )
    return out


def _offline_chain(chain: Chain) -> chains.Chain:
    """The chain as the verifier reads it from the policy.loaded JSON."""
    body = {
        "chain": chain.name,
        "stages": [
            {"id": s.id, "when": str(s.when), "deadline_hours": 24, "rule": s.rule.to_json()}
            for s in chain.stages
        ],
    }
    document = {"x": 1}
    _, parsed = chains.parse_policy(
        {
            "policy_hash": canonical_hash(document),
            "document": document,
            "signoff_chains": {"lvl": body},
        }
    )
    return parsed["lvl"]


def _statement_word(kind: DecisionKind) -> str:
    return "approve" if kind.approves else kind.value


@settings(max_examples=150, deadline=None)
@given(data=st.data(), chain=chains_(), held=st.booleans(), author=st.sampled_from(sorted(PEOPLE)))
def test_offline_evaluator_agrees_with_the_engine(
    data: st.DataObject, chain: Chain, held: bool, author: str
) -> None:
    decisions = data.draw(decisions_([s.id for s in chain.stages]))
    try:
        online = signoff_status(
            _Policy(chain),  # type: ignore[arg-type]
            level="lvl",
            manifest_hash=M,
            decisions=decisions,
            author_id=author,
            drafting_unit=PEOPLE[author],
            held_for_review=held,
        )
    except ValueError:  # more alternatives than a reviewable policy may have
        return
    arguments: dict[str, Any] = {
        "chain": _offline_chain(chain),
        "manifest": M,
        "decisions": [
            chains.Decision(
                str(d.approver_id),
                next(iter(d.roles)),
                d.unit,
                _statement_word(d.kind),
                d.manifest_hash,
                d.stage,
                format_time(d.at),
            )
            for d in decisions
        ],
        "excluded": {author},
        "drafting_unit": PEOPLE[author],
        "held_for_review": held,
    }
    offline = chains.chain_status(**arguments)
    # one memo shared by every example, as one log's publications share it
    assert chains.chain_status(**arguments, memo=MEMO) == offline
    event(str(online.status))
    assert offline.status == str(online.status)


def test_default_policy_body_parses_and_binds_its_document() -> None:
    policy = load_policy(REPO / "policies" / "default.yaml")
    body = policy_event_body(policy)
    policy_hash, parsed = chains.parse_policy(body)
    assert policy_hash == policy.content_hash
    assert set(parsed) == {lv.name for lv in policy.levels if policy.chain_for(lv.name)}
    public = parsed["cong_khai"]
    assert next(s.when for s in public.stages) == chains.HELD_FOR_REVIEW
    altered: dict[str, Any] = {**body, "document": {**body["document"], "extra": 1}}
    with pytest.raises(BadInput, match="hashes to"):
        chains.parse_policy(altered)


@pytest.mark.parametrize(
    "rule",
    [
        {"quorum": {"count": 0, "eligible": {"roles": ["a"]}}},
        {"quorum": {"count": 1, "eligible": {"roles": []}}},
        {"quorum": {"count": 1, "eligible": {"roles": ["a"], "units": []}}},
        {"all_of": []},
        {"any_of": [{"nope": {}}]},
        {"quorum": {"count": True, "eligible": {"roles": ["a"]}}},
    ],
)
def test_malformed_rules_are_refused(rule: dict[str, Any]) -> None:
    with pytest.raises(BadInput):
        chains.parse_rule(rule, "r")
