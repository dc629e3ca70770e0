"""The offline verifier reaches the same sign-off evaluation as the online path.

Both walk the chain with the one engine (``clearance.approval.walk_chain``); what differs is
how each gets there: the verifier reads the chain from the ``policy.loaded`` JSON
(``clearance.auditlog.chains``) and the decisions, the author and the units from the log
(``clearance.auditlog.workflow``). The cross-check compares the whole ``SignoffState``: every
stage, every counted and missing slot, every decision's standing and every excluded person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from clearance.auditlog import chains
from clearance.auditlog.entry import GENESIS_PREV, Entry, format_time
from clearance.auditlog.note import Signer as KeySigner
from clearance.auditlog.workflow import SignedOff, Workflow
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
    SignoffState,
    Stage,
    StageCondition,
    Standing,
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
DOCUMENT = {"x": 1}
POLICY_HASH = canonical_hash(DOCUMENT)
KEYS = {who: KeySigner.generate(who).verifier for who in PEOPLE}


@dataclass(frozen=True)
class _Policy:
    """The two things ``signoff_status`` reads of a policy."""

    chain: Chain
    content_hash: str = POLICY_HASH

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
    stages = [
        Stage(
            id=f"s{i}",
            label_vi=f"s{i}",
            rule=draw(rules),
            deadline_hours=24,
            when=draw(st.sampled_from(list(StageCondition))),
        )
        for i in range(count)
    ]
    if all(stage.when is StageCondition.HELD_FOR_REVIEW for stage in stages):
        # the loader and the verifier refuse a chain that may be empty; keep the example
        stages[-1] = Stage(stages[-1].id, stages[-1].id, stages[-1].rule, 24)
    return Chain("c", tuple(stages))


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


def _entry(seq: int, type_: str, actor: str | None, body: dict[str, Any], **fields: Any) -> Entry:
    return Entry(
        "clearance.test/log", seq, GENESIS_PREV, format_time(T0), type_, actor,
        fields.get("item"), fields.get("revision"), fields.get("manifest"),
        fields.get("policy"), body,
    )  # fmt: skip


def _offline(
    chain: Chain, decisions: list[Decision], author: str, held: bool
) -> tuple[SignoffState | None, list[str]]:
    """What the verifier makes of a log recording this policy, revision and decisions."""
    flow = Workflow()
    body = {
        "policy_hash": POLICY_HASH,
        "document": DOCUMENT,
        "signoff_chains": {
            "lvl": {
                "chain": chain.name,
                "stages": [
                    {"id": s.id, "when": str(s.when), "deadline_hours": s.deadline_hours,
                     "rule": s.rule.to_json()}
                    for s in chain.stages
                ],
            }
        },
    }  # fmt: skip
    rev = {"item": "itm", "revision": 1, "policy": POLICY_HASH}
    log = [
        *(
            _entry(0, "user.registered", "admin",
                   {"username": who, "signoff_roles": list(ROLES), "unit": unit})
            for who, unit in PEOPLE.items()
        ),
        *(
            _entry(0, "key.registered", "admin", {"username": who, "vkey": key.vkey})
            for who, key in KEYS.items()
        ),
        _entry(0, "policy.loaded", "admin", body),
        # submitted with OTHER, released (screened) as M: both manifests belong to the revision
        _entry(0, "item.submitted", author, {"author": author}, manifest=OTHER, **rev),
        _entry(0, "revision.classified", None, {"level": "lvl"}, **rev),
        _entry(0, "revision.screened", None, {"verdict": "review" if held else "clear"},
               manifest=M, **rev),
    ]  # fmt: skip
    for entry in log:
        flow.apply(0, entry)
    for index, d in enumerate(decisions, start=1):
        who = str(d.approver_id)
        read = SignedOff(
            "itm", 1, d.manifest_hash, d.kind.value, next(iter(d.roles)), d.stage, who,
            format_time(d.at), 0, b"\0" * 32, b"", ((who, KEYS[who].key_id, b"sig"),),
        )  # fmt: skip
        flow.signed_off(index, read)
    state = flow.signoff_state(flow.revisions[("itm", 1)])
    return state, [finding.code for finding in flow.findings]


@settings(max_examples=150, deadline=None)
@given(data=st.data(), chain=chains_(), held=st.booleans(), author=st.sampled_from(sorted(PEOPLE)))
def test_offline_evaluation_is_the_online_one(
    data: st.DataObject, chain: Chain, held: bool, author: str
) -> None:
    decisions = data.draw(decisions_([s.id for s in chain.stages]))
    arguments: dict[str, Any] = {
        "level": "lvl",
        "manifest_hash": M,
        "author_id": author,
        "drafting_unit": PEOPLE[author],
        "held_for_review": held,
    }
    policy: Any = _Policy(chain)
    online = signoff_status(policy, decisions=decisions, **arguments)
    offline, findings = _offline(chain, decisions, author, held)
    # the verifier reports the author's own sign-offs and never hands them to the engine
    own = [d for d in decisions if d.approver_id == author]
    assert findings == ["self-approval"] * len(own)
    others = [d for d in decisions if d.approver_id != author]
    assert offline == signoff_status(policy, decisions=others, **arguments)
    # and the engine itself never counts them, wherever they stand in the chain
    live = {stage.id for stage in chain.stages if stage.applies(held_for_review=held)}
    own_approvals = [d for d in own if d.kind.approves and d.manifest_hash == M and d.stage in live]
    assert [r.standing for r in online.decisions if r.decision in own_approvals] == [
        Standing.EXCLUDED
    ] * len(own_approvals)
    assert offline is not None
    assert offline.excluded == {author}
    event(str(online.status))


def test_default_policy_body_parses_and_binds_its_document() -> None:
    policy = load_policy(REPO / "clearance" / "policies_default" / "default.yaml")
    body = policy_event_body(policy)
    policy_hash, parsed = chains.parse_policy(body)
    assert policy_hash == policy.content_hash
    assert set(parsed) == {lv.name for lv in policy.levels if policy.chain_for(lv.name)}
    public = parsed["cong_khai"]
    assert next(s.when for s in public.stages) is StageCondition.HELD_FOR_REVIEW
    for level, chain in parsed.items():
        online = policy.chain_for(level)
        assert online is not None and chain.name == online.name
        assert [(s.id, s.when, s.deadline_hours, s.rule) for s in chain.stages] == [
            (s.id, s.when, s.deadline_hours, s.rule) for s in online.stages
        ]
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
        {"quorum": {"count": 1, "eligible": {"roles": ["a"], "same_unit": "yes"}}},
        {"quorum": {"count": 1, "eligible": {"roles": ["a"], "unit": ["u1"]}}},
        {"quorum": {"count": 1, "eligible": {"roles": ["a"]}, "extra": 1}},
        {"quorum": {"count": 1, "eligible": {"roles": ["a"]}}, "any_of": []},
        {"any_of": [{"quorum": {"count": 1, "eligible": {"roles": ["a"]}}}] * 257},
    ],
)
def test_malformed_rules_are_refused(rule: dict[str, Any]) -> None:
    with pytest.raises(BadInput):
        chains.parse_rule(rule, "r")
