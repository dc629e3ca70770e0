"""The auditor's commands without the rest of Clearance: ``python -m clearance.auditlog.offline``.

``verify DIR --vkey FILE [--checkpoint FILE]... [--witness-policy FILE [--offline] [--max-age S]]
[--json] [--workers N]`` and ``verify-receipt FILE --vkey FILE [--witness-policy FILE] [--json]``. Exit 0 when everything holds, 1 on tamper evidence
or a broken rule (naming the first bad entry and why), 2 for bad input. Needs only the standard
library and ``cryptography``; ``clearance audit verify`` calls the same functions.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from clearance.auditlog.note import parse_vkey
from clearance.auditlog.receipt import verify_receipt
from clearance.auditlog.verify import WitnessRequirement, read_text, report_json, verify_export
from clearance.auditlog.witnesscheck import fetch_latest
from clearance.auditlog.witnesspolicy import load_policy
from clearance.errors import BadInput, VerificationError

OK, TAMPERED, BAD_INPUT = 0, 1, 2


def _witnesses(
    policy_file: Path | None, origin: str, *, online: bool, max_age: int | None
) -> WitnessRequirement | None:
    if policy_file is None:
        return None
    policy = load_policy(policy_file)
    observations, notes = fetch_latest(policy, origin) if online else ([], [])
    return WitnessRequirement(policy, observations, notes, int(time.time()), max_age)


def run_verify(
    directory: Path, vkey_file: Path, checkpoint_files: Sequence[Path], *, as_json: bool,
    workers: int | None = None, witness_policy: Path | None = None, online: bool = True,
    max_age: int | None = None,
) -> int:  # fmt: skip
    """Print the verdict and return the exit code. With ``witness_policy``, the export's latest
    checkpoint needs the policy's quorum of cosignatures, and (``online``) every witness with a
    URL is asked for the latest checkpoint it cosigned, which the export must not contradict."""
    try:
        vkey = read_text(vkey_file, "vkey file").strip()
        trusted = [read_text(p, "trusted checkpoint") for p in checkpoint_files]
        origin = parse_vkey(vkey).name
        witnesses = _witnesses(witness_policy, origin, online=online, max_age=max_age)
        report = verify_export(
            directory,
            vkey,
            trusted,
            workers=workers or min(os.cpu_count() or 1, 4),
            witnesses=witnesses,
        )
    except BadInput as exc:
        _fail(str(exc), as_json)
        return BAD_INPUT
    if as_json:
        print(report_json(report))
    elif report.ok:
        print(
            f"OK: {report.entries} entries, {report.checkpoints} checkpoints, "
            f"{report.signatures} approver signatures verified; root {report.root}"
        )
    else:
        print(f"FAILED: {report.first}", file=sys.stderr)
        for finding in report.findings[1:10]:
            print(f"  also: {finding}", file=sys.stderr)
    if not as_json:
        for note in report.notes:
            print(f"note: {note}", file=sys.stderr)
    return OK if report.ok else TAMPERED


def run_verify_receipt(
    receipt_file: Path, vkey_file: Path, *, as_json: bool, witness_policy: Path | None = None
) -> int:
    """Check a receipt; with ``witness_policy`` its checkpoint needs the policy's quorum of
    cosignatures (so a reader knows independent witnesses saw the same log)."""
    try:
        vkey = read_text(vkey_file, "vkey file").strip()
        policy = None if witness_policy is None else load_policy(witness_policy)
        check = verify_receipt(read_text(receipt_file, "receipt"), vkey, witnesses=policy)
    except BadInput as exc:
        _fail(str(exc), as_json)
        return BAD_INPUT
    except VerificationError as exc:
        _fail(str(exc), as_json, code="receipt-invalid")
        return TAMPERED
    summary = {
        "ok": True,
        "item": check.item,
        "tree_size": check.size,
        "witnesses": list(check.witnesses),
        "entries": [{"index": e.seq, "type": e.type, "time": e.time} for e in check.entries],
    }
    if as_json:
        print(json.dumps(summary, indent=2, ensure_ascii=False))
    else:
        print(f"OK: {len(check.entries)} entries of {check.item} in the tree of {check.size}")
        for e in check.entries:
            print(f"  {e.seq}  {e.time}  {e.type}")
    return OK


def _fail(message: str, as_json: bool, code: str = "bad-input") -> None:
    if as_json:
        print(json.dumps({"ok": False, "error": {"code": code, "message": message}}))
    else:
        print(f"error: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="clearance-audit", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    v = sub.add_parser("verify", help="verify an export folder")
    v.add_argument("directory", type=Path)
    v.add_argument("--vkey", type=Path, required=True)
    v.add_argument("--checkpoint", type=Path, action="append", default=[])
    v.add_argument("--json", action="store_true")
    v.add_argument("--workers", type=int, default=None)
    v.add_argument("--witness-policy", type=Path, default=None)
    v.add_argument("--offline", action="store_true", help="do not ask the witnesses")
    v.add_argument("--max-age", type=int, default=None, help="newest cosignature at most N s old")
    r = sub.add_parser("verify-receipt", help="verify an item's receipt")
    r.add_argument("receipt", type=Path)
    r.add_argument("--vkey", type=Path, required=True)
    r.add_argument("--json", action="store_true")
    r.add_argument("--witness-policy", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.command == "verify":
        return run_verify(
            args.directory,
            args.vkey,
            args.checkpoint,
            as_json=args.json,
            workers=args.workers,
            witness_policy=args.witness_policy,
            online=not args.offline,
            max_age=args.max_age,
        )
    return run_verify_receipt(
        args.receipt, args.vkey, as_json=args.json, witness_policy=args.witness_policy
    )


if __name__ == "__main__":
    sys.exit(main())
