"""``clearance policy check FILE`` and ``clearance policy compare NEW OLD``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from clearance.errors import PolicyInvalid
from clearance.policy import Policy, compare, load_policy


def _load_or_exit(path: Path) -> Policy:
    try:
        return load_policy(path)
    except PolicyInvalid as exc:
        count = len(exc.problems)
        click.echo(f"{path}: {count} problem{'s' if count != 1 else ''}:", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(exc.exit_code)


def _summary(policy: Policy) -> None:
    meta = policy.metadata
    click.echo(f"policy {policy.source}: valid")
    click.echo(f"  hash            {policy.content_hash}")
    click.echo(f"  version         {meta.version} (effective {meta.effective_date:%d/%m/%Y})")
    click.echo(f"  title           {meta.title}")
    click.echo("  levels (lowest first):")
    for level in policy.levels:
        release = f"chain {level.chain}" if level.publishable else "never published"
        click.echo(f"    {level.name:<12} {level.label_vi} / {level.label_en}: {release}")
    click.echo("  sign-off chains:")
    for chain in policy.chains.values():
        click.echo(f"    {chain.name}:")
        for number, stage in enumerate(chain.stages, start=1):
            when = "" if stage.when == "always" else f" [only when {stage.when}]"
            click.echo(
                f"      {number}. {stage.id}: {stage.rule.describe()}, "
                f"deadline {stage.deadline_hours} h{when}"
            )
    click.echo("  channels:")
    for channel in policy.channels.values():
        floor = f", floor {channel.implies_level}" if channel.implies_level else ""
        click.echo(
            f"    {channel.name:<17} levels {', '.join(sorted(channel.levels))}; "
            f"{len(channel.file_types)} file types; adapter {channel.publisher.adapter}{floor}"
        )
    rules = policy.screening
    click.echo(
        f"  screening: {len(rules.markings)} markings, {len(rules.keyword_lists)} keyword lists, "
        f"{len(rules.identifiers)} identifier rules, {len(rules.metadata)} metadata rules, "
        f"{len(rules.allowlist)} allowlist entries"
    )
    unverified = [ref.id for ref in policy.references.values() if not ref.verified]
    if unverified:
        click.echo(f"  unverified references ({len(unverified)}): {', '.join(unverified)}")


def register(group: click.Group) -> None:
    """Add the ``policy`` command group to ``group``."""

    @group.group("policy")
    def policy_group() -> None:
        """Check and compare policy files."""

    @policy_group.command("check")
    @click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
    def check(file: Path) -> None:
        """Validate FILE: print a summary, or every problem found (exit 2)."""
        _summary(_load_or_exit(file))

    @policy_group.command("compare")
    @click.argument("new", type=click.Path(path_type=Path, dir_okay=False))
    @click.argument("old", type=click.Path(path_type=Path, dir_okay=False))
    def compare_command(new: Path, old: Path) -> None:
        """Say whether NEW is stricter than OLD (items in review then move to NEW)."""
        result = compare(_load_or_exit(new), _load_or_exit(old))
        if result.same:
            click.echo("the two policies are identical (same hash)")
        elif result.stricter:
            click.echo("NEW is stricter: items in review move to it")
        else:
            click.echo("NEW is not stricter: items in review keep the policy they started with")
            for reason in result.looser:
                click.echo(f"  - {reason}")
