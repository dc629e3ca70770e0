"""Findings of the verifier on crafted logs carry the params their sentence names (the entry,
the key, the signer, the reason), so the auditor's page says them in Vietnamese instead of the
code's generic sentence: a broken entry, a broken policy, a broken log-key rotation, an unsigned
tail (offline and in the installation's self-check) and the worker pass's bad signature."""

from __future__ import annotations

import base64
import dataclasses
import shutil
from pathlib import Path

import pytest
from flask import Flask, session
from sqlalchemy import text as sql

from clearance.auditlog.findings import Finding
from clearance.auditlog.note import Signer
from clearance.auditlog.selfcheck import verify_installation
from clearance.auditlog.verify import Report, verify_export
from clearance.events import Event
from clearance.settings import Settings
from clearance.signing.approver import signoff_event
from tests.auditlog.auditlog_scenario import M1, POLICY, Scenario, build, on, submitted


def _verify(s: Scenario, export: Path) -> Report:
    return verify_export(export, s.signer.verifier.vkey)


def _one(report: Report, code: str) -> Finding:
    found = [f for f in report.findings if f.code == code]
    assert len(found) == 1, report.findings
    return found[0]


def _vi(app: Flask, finding: Finding) -> str:
    from webapp.verifyview import finding_text

    with app.test_request_context():
        session["lang"] = "vi"
        return str(finding_text(finding))


def _generic(app: Flask, code: str, index: int | None) -> str:
    return _vi(app, Finding(code, index, "detail"))


def test_a_malformed_entry_names_its_reason(app: Flask, tmp_path: Path) -> None:
    s, export = build(tmp_path)
    rows = (export / "entries.jsonl").read_bytes().splitlines()
    rows[4] = rows[4][:-1]
    (export / "entries.jsonl").write_bytes(b"".join(r + b"\n" for r in rows))
    finding = _one(_verify(s, export), "entry-malformed")
    assert finding.index == 4 and finding.params == {"reason": "json"}
    text = _vi(app, finding)
    assert text != _generic(app, "entry-malformed", 4)
    assert "Mục 4" in text and "JSON" in text, text


def test_a_malformed_policy_names_its_hash_and_reason(app: Flask, tmp_path: Path) -> None:
    def finish(s: Scenario) -> None:
        s.add(Event("policy.loaded", actor="operator", body={"policy_hash": "ab" * 32}))

    s, export = build(tmp_path, finish)
    finding = _one(_verify(s, export), "policy-malformed")
    assert finding.params == {"policy": "ab" * 8, "reason": "no-document"}
    text = _vi(app, finding)
    assert text != _generic(app, "policy-malformed", finding.index)
    assert "abababababababab" in text and "tài liệu" in text, text


def test_a_rotation_from_another_key_names_the_keys_and_reason(app: Flask, tmp_path: Path) -> None:
    stranger, new = Signer.generate("other.log"), Signer.generate("new.log")

    def finish(s: Scenario) -> None:
        s.add(Event("log.key_rotated", actor="operator",
                    body={"old_vkey": stranger.verifier.vkey, "new_vkey": new.verifier.vkey,
                          "statement": "x"}))  # fmt: skip

    s, export = build(tmp_path, finish)
    finding = _one(_verify(s, export), "log-key-rotation")
    assert finding.params == {
        "old": f"other.log+{stranger.verifier.key_id.hex()}",
        "new": f"new.log+{new.verifier.key_id.hex()}",
        "reason": "not-current",
    }
    text = _vi(app, finding)
    assert text != _generic(app, "log-key-rotation", finding.index)
    assert stranger.verifier.key_id.hex() in text and "đang dùng" in text, text


def test_a_rotation_without_keys_says_why(app: Flask, tmp_path: Path) -> None:
    def finish(s: Scenario) -> None:
        s.add(Event("log.key_rotated", actor="operator", body={"old_vkey": "nonsense"}))

    s, export = build(tmp_path, finish)
    finding = _one(_verify(s, export), "log-key-rotation")
    assert finding.params == {"reason": "invalid"}
    assert _vi(app, finding) != _generic(app, "log-key-rotation", finding.index)


def test_an_unsigned_log_names_its_entries(app: Flask, tmp_path: Path) -> None:
    s, export = build(tmp_path)
    shutil.rmtree(export / "checkpoints")
    (export / "checkpoints").mkdir()
    latest = export / "checkpoint"
    latest.write_text(_forged(latest.read_text()))  # signed by nobody the verifier trusts
    report = _verify(s, export)
    finding = _one(report, "unsigned-tail")
    assert finding.params == {"first": 0, "last": report.entries - 1, "reason": "no-checkpoint"}
    text = _vi(app, finding)
    assert text != _generic(app, "unsigned-tail", finding.index)
    assert f"{report.entries - 1}" in text, text


def test_the_self_check_s_unsigned_tail_names_its_entries(app: Flask, tmp_path: Path) -> None:
    s, _export = build(tmp_path)
    held = s.add(submitted("itm_2", 1, M1, "an")) + 1
    s.session.execute(sql("DROP TRIGGER IF EXISTS audit_checkpoints_no_delete"))  # an attacker
    s.session.execute(sql("DELETE FROM audit_checkpoints WHERE size = :n"), {"n": held})
    s.session.commit()
    settings = Settings(home=tmp_path / "h", database_url="sqlite://")
    report = verify_installation(s.session, settings, s.signer.verifier.vkey)
    finding = _one(report, "unsigned-tail")
    assert finding.params == {"first": held - 1, "last": held - 1, "held": held}
    text = _vi(app, finding)
    assert text != _generic(app, "unsigned-tail", None)
    assert f"{held}" in text, text


def _forged(note: str) -> str:
    """The signed note with the last byte of its (only) signature flipped."""
    text, _, line = note.rstrip("\n").rpartition("\n")
    dash, name, blob = line.split(" ")
    raw = bytearray(base64.b64decode(blob))
    raw[-1] ^= 1
    return f"{text}\n{dash} {name} {base64.b64encode(bytes(raw)).decode()}\n"


@pytest.mark.parametrize("workers", [0, 2])
def test_the_worker_pass_s_bad_signature_names_the_signer(
    app: Flask, tmp_path: Path, workers: int
) -> None:
    def finish(s: Scenario) -> None:
        s.add(submitted("itm_2", 1, M1, "an"))
        s.add(on("revision.classified", "itm_2", 1, M1, level="internal"))
        signed = s.sign("binh", item="itm_2", revision=1, manifest=M1, role="truong_phong",
                        stage="review")  # fmt: skip
        forged = dataclasses.replace(signed, note=_forged(signed.note))
        s.add(signoff_event(forged, policy_hash=POLICY))

    s, export = build(tmp_path, finish)
    report = verify_export(export, s.signer.verifier.vkey, workers=workers)
    finding = _one(report, "signoff-signature")
    assert finding.params == {"signer": "binh", "item": "itm_2", "revision": 1, "stage": "review"}
    text = _vi(app, finding)
    assert text != _generic(app, "signoff-signature", finding.index)
    assert "binh" in text and "itm_2" in text, text
