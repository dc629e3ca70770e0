"""The shipped default policy loads, says what the issue asks, and the CLI checks it."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from clearance.policy import STATE_SECRET_LEVELS, Policy, load_policy
from cli import main
from tests.policy.policy_support import DEFAULT


def test_default_policy_loads_with_a_stable_hash(default_policy: Policy) -> None:
    again = load_policy(DEFAULT)
    assert again.content_hash == default_policy.content_hash
    assert len(default_policy.content_hash) == 64
    assert default_policy.version == "2026.03.1"


def test_default_levels_are_ordered_and_state_secrets_never_publishable(
    default_policy: Policy,
) -> None:
    names = [level.name for level in default_policy.levels]
    assert names == ["cong_khai", "noi_bo", "han_che", *STATE_SECRET_LEVELS]
    for name in STATE_SECRET_LEVELS:
        level = default_policy.level(name)
        assert level.state_secret and not level.publishable
        assert default_policy.chain_for(name) is None
    assert default_policy.level("mat").label_vi == "Mật"


def test_default_public_chain_is_unit_head_then_leader_or_spokesperson(
    default_policy: Policy,
) -> None:
    chain = default_policy.chain_for("cong_khai")
    assert chain is not None
    always = [stage for stage in chain.stages if stage.applies(held_for_review=False)]
    assert [stage.id for stage in always] == ["unit_review", "leadership_release"]
    held = [stage.id for stage in chain.stages if stage.applies(held_for_review=True)]
    assert "security_review" in held
    assert all(stage.deadline_hours > 0 for stage in chain.stages)


def test_default_channels_and_adapters(default_policy: Policy) -> None:
    assert set(default_policy.channels) == {"website", "press", "social", "foreign_partners"}
    adapters = {channel.publisher.adapter for channel in default_policy.channels.values()}
    assert adapters == {"website", "directory", "webhook"}
    assert default_policy.channel("website").allows_file_type("application/pdf")
    assert not default_policy.channel("social").allows_file_type("application/pdf")


def test_the_screening_section_is_resolved_into_the_hash(default_policy: Policy) -> None:
    assert "markings" in default_policy.document["screening"]
    assert default_policy.screening.markings


def test_cli_check_prints_a_summary() -> None:
    result = CliRunner().invoke(main, ["policy", "check", str(DEFAULT)])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output
    assert "public_release" in result.output


def test_cli_check_lists_every_problem_and_exits_2(tmp_path: Path) -> None:
    text = DEFAULT.read_text(encoding="utf-8")
    broken = text.replace("chain: public_release", "chain: no_such_chain").replace(
        "quorum: 1\n        deadline_hours: 48", "quorum: 0\n        deadline_hours: 48"
    )
    (tmp_path / "screening.yaml").write_bytes((DEFAULT.parent / "screening.yaml").read_bytes())
    path = tmp_path / "broken.yaml"
    path.write_text(broken, encoding="utf-8")
    result = CliRunner().invoke(main, ["policy", "check", str(path)])
    assert result.exit_code == 2
    assert "3 problems" in result.output  # the quorum line occurs in two chains
    assert "levels[0].chain" in result.output
    assert "quorum: expected a positive integer or all, found the integer 0" in result.output
