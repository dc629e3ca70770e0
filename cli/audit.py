"""``clearance audit export|verify|prove|verify-receipt`` and ``clearance keys rotate|export``."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from clearance.auditlog.offline import run_verify_receipt


def register(group: click.Group) -> None:
    group.add_command(audit)
    group.add_command(keys)


@click.group()
def audit() -> None:
    """Export, verify and prove the signed audit log."""


@audit.command("export")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.option("--checkpoints", "selection", default="every:1000", show_default=True,
              help="Earlier signed checkpoints to include besides the latest: all, latest, or "
                   "every:N (the first of each run of N entries).")  # fmt: skip
def export_cmd(directory: Path, selection: str) -> None:
    """Write entries, checkpoints and the log's vkey to DIRECTORY for an auditor."""
    from clearance.auditlog.export import export_log, parse_selection
    from clearance.errors import BadInput
    from cli.common import open_runtime

    try:
        chosen = parse_selection(selection)
    except BadInput as exc:
        raise click.BadParameter(str(exc), param_hint="--checkpoints") from None
    from clearance.auditlog.export import unsigned_tail

    rt = open_runtime()
    vkey = (rt.settings.keys_dir / "log.vkey").read_text(encoding="utf-8").strip()
    with rt.sessions() as session:
        count = export_log(session, directory, vkey, chosen)
        gap = unsigned_tail(session)
    click.echo(f"exported {count} entries to {directory}")
    if gap is not None:
        click.echo(f"error: {gap}", err=True)
        sys.exit(1)


@audit.command("verify")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--vkey", "vkey_file", type=click.Path(path_type=Path), required=True,
              help="The log's public key, obtained independently of the export.")  # fmt: skip
@click.option("--checkpoint", "checkpoints", type=click.Path(path_type=Path), multiple=True,
              help="A checkpoint you saw earlier; the export must extend it.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report.")
@click.option("--workers", type=int, default=None,
              help="Worker processes that check the entries and signatures "
                   "(default: the number of CPUs, at most 4; 1 checks in this process).")  # fmt: skip
@click.option("--witness-policy", type=click.Path(path_type=Path), default=None,
              help="Witnesses and quorum (witness <vkey> [<url>] / quorum <k>|all): the latest "
                   "checkpoint needs that many cosignatures, and each witness with a URL is "
                   "asked for the largest tree it cosigned.")  # fmt: skip
@click.option("--offline", is_flag=True, help="Do not ask the witnesses (cosignatures only).")
@click.option("--max-age", type=int, default=None,
              help="Report when the newest cosignature is older than this many seconds.")  # fmt: skip
def verify_cmd(
    directory: Path,
    vkey_file: Path,
    checkpoints: tuple[Path, ...],
    as_json: bool,
    workers: int | None,
    witness_policy: Path | None,
    offline: bool,
    max_age: int | None,
) -> None:
    """Verify an export offline: exit 0 ok, 1 tampered or rule broken, 2 bad input.

    This process hands over to the light verifier (``python -m clearance.auditlog.offline``,
    stdlib and ``cryptography`` only) by replacing itself: its worker processes then start
    from that module instead of importing the whole command line again (alembic, screening)."""
    argv = [str(directory), "--vkey", str(vkey_file)]
    for checkpoint in checkpoints:
        argv += ["--checkpoint", str(checkpoint)]
    if as_json:
        argv.append("--json")
    if workers is not None:
        argv += ["--workers", str(workers)]
    if witness_policy is not None:
        argv += ["--witness-policy", str(witness_policy)]
    if offline:
        argv.append("--offline")
    if max_age is not None:
        argv += ["--max-age", str(max_age)]
    sys.stdout.flush()
    sys.stderr.flush()
    python = sys.executable
    os.execv(python, [python, "-m", "clearance.auditlog.offline", "verify", *argv])  # noqa: S606 (fixed argv, no shell)


@audit.command("prove")
@click.argument("item_id")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Write the receipt here instead of standard output.")  # fmt: skip
def prove_cmd(item_id: str, out: Path | None) -> None:
    """Write a receipt for ITEM_ID: its entries, inclusion proofs and the signed checkpoint."""
    from clearance.auditlog.export import prove_item
    from cli.common import open_runtime

    rt = open_runtime()
    with rt.sessions() as session:
        receipt = prove_item(session, item_id)
    text = json.dumps(receipt, indent=2, ensure_ascii=False) + "\n"
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"receipt written to {out}")


@audit.command("verify-receipt")
@click.argument("receipt", type=click.Path(path_type=Path))
@click.option("--vkey", "vkey_file", type=click.Path(path_type=Path), required=True)
@click.option("--json", "as_json", is_flag=True)
@click.option("--witness-policy", type=click.Path(path_type=Path), default=None,
              help="Require the policy's quorum of witness cosignatures on the checkpoint.")  # fmt: skip
def verify_receipt_cmd(
    receipt: Path, vkey_file: Path, as_json: bool, witness_policy: Path | None
) -> None:
    """Check a receipt offline: exit 0 ok, 1 invalid, 2 bad input."""
    sys.exit(run_verify_receipt(receipt, vkey_file, as_json=as_json, witness_policy=witness_policy))


@audit.command("witness-sync")
@click.option("--watch", "interval", type=float, default=None,
              help="Keep going: a round every this many seconds until stopped.")  # fmt: skip
def witness_sync_cmd(interval: float | None) -> None:
    """Send the latest checkpoint to the witnesses of CLEARANCE_WITNESS_POLICY and store their
    cosignatures (exit 1 when a witness refused or was not reached)."""
    from clearance.auditlog.witnessing import Outcome, TreeCache, collect, watch
    from clearance.auditlog.witnesspolicy import load_policy
    from clearance.errors import ConfigurationError
    from cli.common import open_runtime

    rt = open_runtime()
    if rt.settings.witness_policy is None:
        raise ConfigurationError(
            "CLEARANCE_WITNESS_POLICY is not set; point it at a witness policy file "
            "(lines 'witness <vkey> <url>' and 'quorum <k>')"
        )
    policy = load_policy(rt.settings.witness_policy)

    def report(outcome: Outcome) -> None:
        state = "ok" if outcome.ok else "FAILED"
        click.echo(f"{outcome.witness}: size {outcome.size}: {state}: {outcome.message}")

    if interval is not None:
        watch(rt.sessions, policy, interval=interval, stop=lambda: False, report=report)
        return
    outcomes = collect(rt.sessions, policy, TreeCache())
    for outcome in outcomes:
        report(outcome)
    if not outcomes:
        click.echo("every witness has cosigned the latest checkpoint")
    sys.exit(0 if all(o.ok for o in outcomes) else 1)


@click.group()
def keys() -> None:
    """The audit log's signing key."""


@keys.command("rotate")
def rotate_cmd() -> None:
    """Replace the log key; the rotation entry is signed by the old and the new key."""
    from clearance.auditlog.setup import rotate_log_key
    from cli.common import open_runtime
    from cli.core import operator

    rt = open_runtime()
    vkey = rotate_log_key(rt.settings, rt.sessions, actor=operator(), now=datetime.now(UTC))
    click.echo(f"new log vkey: {vkey}")
    click.echo("give it to your auditors together with the rotation entry's checkpoint")


@keys.command("export")
@click.argument("destination", type=click.Path(path_type=Path), default=Path("keys"))
def export_key_cmd(destination: Path) -> None:
    """Copy the log's public vkey to DESTINATION (default ./keys, see keys/README.md)."""
    from clearance.settings import load_settings

    settings = load_settings()
    vkey = (settings.keys_dir / "log.vkey").read_text(encoding="utf-8").strip()
    destination.mkdir(parents=True, exist_ok=True)
    target = destination / "log.vkey"
    target.write_text(vkey + "\n", encoding="utf-8")
    click.echo(f"wrote {target}")


@keys.command("serve-signer")
@click.option("--key", "key_file", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="The log's private key file (sealed: the passphrase comes from "
                   "CLEARANCE_LOG_KEY_PASSPHRASE_FILE or CLEARANCE_LOG_KEY_PASSPHRASE).")  # fmt: skip
@click.option("--socket", "socket_path", type=click.Path(path_type=Path), required=True,
              help="The Unix socket to listen on (the log connects with "
                   "CLEARANCE_LOG_SIGNER=unix:PATH).")  # fmt: skip
@click.option("--state", "state_dir", type=click.Path(path_type=Path, file_okay=False),
              required=True, help="Where the largest signed size and the journal are kept.")  # fmt: skip
def serve_signer_cmd(key_file: Path, socket_path: Path, state_dir: Path) -> None:
    """Hold the log key in this process and sign checkpoints for the log (never a smaller
    tree than the largest signed, never anything but a checkpoint of its origin)."""
    from clearance.auditlog.keyfile import read_private
    from clearance.auditlog.signerd import SigningHelper, SigningServer, SigningState
    from clearance.settings import load_log_key_passphrase
    from cli.common import serve_until_stopped

    signer = read_private(key_file, load_log_key_passphrase())
    server = SigningServer(socket_path, SigningHelper(signer, SigningState(state_dir)))
    click.echo(f"signing checkpoints of {signer.name} on {socket_path}", err=True)
    serve_until_stopped(
        server.serve_forever, server.server_close, lambda: socket_path.unlink(missing_ok=True)
    )
