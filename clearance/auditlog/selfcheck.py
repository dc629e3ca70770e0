"""Verify the running installation's log exactly as an offline auditor would: export a
consistent snapshot, verify it with the log's vkey and (when configured) the witness policy,
asking each witness for the largest tree it cosigned, and say when the export could not end at
the log's last entry."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from sqlalchemy.orm import Session

from clearance.auditlog.export import export_log, gap_message, tail_gap
from clearance.auditlog.findings import Finding
from clearance.auditlog.note import parse_vkey
from clearance.auditlog.verify import Report, WitnessRequirement, verify_export
from clearance.auditlog.witnesscheck import fetch_latest
from clearance.auditlog.witnesspolicy import load_policy
from clearance.settings import Settings


def verify_installation(session: Session, settings: Settings, vkey: str) -> Report:
    """The verifier's report on the log as ``session`` sees it (one snapshot)."""
    witnesses = None
    if settings.witness_policy is not None:
        policy = load_policy(settings.witness_policy)
        observations, notes = fetch_latest(policy, parse_vkey(vkey).name)
        witnesses = WitnessRequirement(policy, observations, notes, int(time.time()))
    with tempfile.TemporaryDirectory(prefix="clearance-verify-") as tmp:
        directory = Path(tmp) / "export"
        export_log(session, directory, vkey)
        gap = tail_gap(session)
        report = verify_export(directory, vkey, witnesses=witnesses)
    if gap is not None:
        signed, held = gap
        report.findings.insert(
            0,
            Finding(
                "unsigned-tail",
                None,
                gap_message(signed, held),
                {"first": signed, "last": held - 1, "held": held},
            ),
        )
    return report
