"""Classification takes the highest of declared, screening-implied and channel levels."""

from __future__ import annotations

import pytest

from clearance.errors import BadInput
from clearance.policy import Policy, ReasonKind, classify
from clearance.screening.types import Finding, Severity


def finding(rule: str, level: str | None, part: str = "body", location: str = "line 1") -> Finding:
    return Finding(
        rule=rule, severity=Severity.BLOCK, message="m", part=part, location=location, level=level
    )


def test_declared_level_stands_when_nothing_raises_it(default_policy: Policy) -> None:
    result = classify(default_policy, declared_level="cong_khai", channels=["website"])
    assert result.level == "cong_khai"
    assert result.publishable and result.chain == "public_release"
    assert result.refusals == ()
    assert result.policy_hash == default_policy.content_hash
    assert [r.kind for r in result.decisive] == [ReasonKind.DECLARED]


def test_a_marking_raises_the_level_and_blocks_publication(default_policy: Policy) -> None:
    result = classify(
        default_policy,
        declared_level="cong_khai",
        channels=["website"],
        findings=[
            finding("marking.mat", "mat", "word/document.xml", "line 3"),
            finding("pii.phone", None),
        ],
    )
    assert result.level == "mat"
    assert not result.publishable and result.chain is None
    assert result.decisive[0].rule == "marking.mat"
    assert result.decisive[0].where == "word/document.xml, line 3"
    assert "never be published" in str(result.refusals[0])
    assert (result.refusals[0].code, dict(result.refusals[0].params)) == (
        "blocked.level_unpublishable",
        {"level": result.level},
    )


def test_highest_of_all_reasons_wins(default_policy: Policy) -> None:
    result = classify(
        default_policy,
        declared_level="noi_bo",
        channels=["foreign_partners"],
        findings=[finding("keywords.noi_bo", "han_che"), finding("marking.x", "toi_mat")],
    )
    assert result.level == "toi_mat"
    assert [r.level for r in result.reasons] == ["toi_mat", "han_che", "noi_bo", "noi_bo"]


def test_a_channel_floor_raises_the_level(default_policy: Policy) -> None:
    result = classify(default_policy, declared_level="cong_khai", channels=["foreign_partners"])
    assert result.level == "noi_bo"
    assert result.decisive[0].kind is ReasonKind.CHANNEL
    assert result.decisive[0].rule == "channels.foreign_partners.implies_level"
    assert result.refusals == ()


def test_channels_that_do_not_accept_the_level_are_refused(default_policy: Policy) -> None:
    result = classify(
        default_policy, declared_level="cong_khai", channels=["website", "foreign_partners"]
    )
    assert result.level == "noi_bo"
    assert [str(r) for r in result.refusals] == [
        "channel website does not accept level noi_bo (accepts cong_khai)"
    ]
    assert [(r.code, dict(r.params)) for r in result.refusals] == [
        ("blocked.channel_level", {"channel": "website", "level": "noi_bo"})
    ]


def test_unknown_implied_level_fails_closed(default_policy: Policy) -> None:
    result = classify(
        default_policy,
        declared_level="cong_khai",
        channels=["website"],
        findings=[finding("marking.other", "bi_mat")],
    )
    assert result.level == "tuyet_mat"
    assert "unknown level 'bi_mat'" in result.decisive[0].where


def test_unknown_declared_level_or_channel_is_bad_input(default_policy: Policy) -> None:
    with pytest.raises(BadInput, match="unknown level 'public'"):
        classify(default_policy, declared_level="public", channels=["website"])
    with pytest.raises(BadInput, match="unknown channel 'fax'"):
        classify(default_policy, declared_level="cong_khai", channels=["fax"])


def test_no_channel_is_a_refusal(default_policy: Policy) -> None:
    result = classify(default_policy, declared_level="cong_khai", channels=[])
    assert [(str(r), r.code) for r in result.refusals] == [
        ("no target channel was given", "blocked.no_channel")
    ]
    assert result.to_json()["level"] == "cong_khai"
