"""``clearance screen PATH... [--policy FILE] [--channel NAME] [--json]``.

Exit 0 when nothing is blocked, 1 when anything is blocked, 2 for bad input (missing file, bad
policy, unknown channel). Each file is screened in the isolated child with the pipeline's caps
(memory, CPU, wall time): a file that hits one is held. ``--policy`` accepts a full policy file (through
``clearance.policy.load_policy``: its ``screening`` rules and its channels' allowed
types) or a stand-alone screening file such as the shipped
``clearance/policies_default/screening.yaml`` (the default).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from clearance.errors import BadInput, ClearanceError
from clearance.policy import Policy, load_policy
from clearance.screening import FileResult, ScreeningRules, Verdict, load_screening_rules
from clearance.screening.isolated import screen_file_isolated
from clearance.settings import DEFAULT_SCREENING

DEFAULT_POLICY = DEFAULT_SCREENING


def _load(policy: Path, channel: str | None) -> tuple[ScreeningRules, frozenset[str] | None]:
    try:
        loaded: Policy | None = load_policy(policy)
    except ClearanceError:
        loaded = None  # maybe a stand-alone screening file; try that below
    if loaded is not None:
        allowed: frozenset[str] | None = None
        if channel is not None:
            if channel not in loaded.channels:
                raise BadInput(f"the policy has no channel '{channel}'; use one it declares")
            allowed = loaded.channels[channel].file_types
        return loaded.screening, allowed
    if channel is not None:
        raise BadInput(f"'{policy}' declares no channels; pass a full policy file with --channel")
    return load_screening_rules(policy), None


def _report(path: str, result: FileResult) -> str:
    lines = [f"{path}: {result.verdict} ({result.detected_type}, level {result.level or '-'})"]
    for finding in result.findings:
        where = " ".join(x for x in (finding.part, finding.location) if x)
        lines.append(f"  [{finding.severity}] {finding.rule} @ {where}: {finding.message}")
        if finding.excerpt:
            lines.append(f"      « {finding.excerpt} »")
    return "\n".join(lines)


@click.command("screen")
@click.argument("paths", nargs=-1, required=True)
@click.option("--policy", "policy", default=None, help="Policy or screening rules file.")
@click.option("--channel", default=None, help="Check file types against this channel.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def screen(paths: tuple[str, ...], policy: str | None, channel: str | None, as_json: bool) -> None:
    """Screen files for state-secret markings, personal data and metadata leaks."""
    try:
        rules, allowed = _load(Path(policy) if policy else DEFAULT_POLICY, channel)
        blobs = []
        for path in paths:
            file = Path(path)
            if not file.is_file():
                raise BadInput(f"'{path}' is not a readable file; check the path")
            blobs.append((path, file.read_bytes()))
    except ClearanceError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(exc.exit_code if exc.exit_code == 2 else 2) from exc
    except OSError as exc:
        click.echo(f"error: {exc}; check the path and permissions", err=True)
        raise SystemExit(2) from exc
    # the same hard guard as the pipeline: each file in a capped child (memory, CPU, wall time)
    results = [
        (path, screen_file_isolated(data, path, rules, allowed_types=allowed))
        for path, data in blobs
    ]
    if as_json:
        payload = {
            "results": [
                {
                    "path": path,
                    "verdict": str(result.verdict),
                    "detected_type": result.detected_type,
                    "level": result.level,
                    "findings": [
                        {
                            "rule": f.rule,
                            "severity": str(f.severity),
                            "message": f.message,
                            "location": " ".join(x for x in (f.part, f.location) if x),
                        }
                        for f in result.findings
                    ],
                    "coverage": [c.to_json() for c in result.coverage],
                }
                for path, result in results
            ]
        }
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        for path, result in results:
            click.echo(_report(path, result))
    blocked = any(result.verdict is Verdict.BLOCKED for _path, result in results)
    raise SystemExit(1 if blocked else 0)


def register(group: click.Group) -> None:
    """Add the ``screen`` command to the ``clearance`` group."""
    group.add_command(screen)
