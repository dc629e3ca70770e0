"""Receipts, log-key rotation, approver keys, and the verifier's import isolation."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from clearance.auditlog import store
from clearance.auditlog.export import prove_item
from clearance.auditlog.note import Signer, parse_vkey
from clearance.auditlog.receipt import verify_receipt
from clearance.auditlog.setup import init_log, open_log, rotate_log_key
from clearance.auditlog.statement import verify_statement
from clearance.auditlog.verify import verify_export
from clearance.errors import BadInput, ConfigurationError, NotFound, VerificationError
from clearance.events import Event
from clearance.settings import Settings
from clearance.signing.approver import enroll_approver_key, sign_decision
from clearance.storage.db import make_engine, make_session_factory
from clearance.storage.migrate import upgrade
from tests.auditlog.auditlog_scenario import M1, PASSWORD, build


def test_receipt_round_trip_and_tamper(tmp_path: Path) -> None:
    s, _ = build(tmp_path)
    receipt = prove_item(s.session, "itm_1")
    text = json.dumps(receipt)
    vkey = s.signer.verifier.vkey
    check = verify_receipt(text, vkey)
    assert check.entries[0].type == "item.submitted"
    assert check.size == 13
    forged = json.loads(text)
    forged["entries"][0]["leaf"] = forged["entries"][0]["leaf"].replace('"an"', '"ax"')
    with pytest.raises(VerificationError, match="inclusion proof"):
        verify_receipt(json.dumps(forged), vkey)
    with pytest.raises(VerificationError, match="no verifiable signatures"):
        verify_receipt(text, Signer.generate(s.log.origin).verifier.vkey)
    with pytest.raises(BadInput, match="not a clearance-receipt/v1"):
        verify_receipt("{}", vkey)
    with pytest.raises(NotFound):
        prove_item(s.session, "itm_missing")


def test_approver_key_sealed_and_statement_verifies(tmp_path: Path) -> None:
    s, _ = build(tmp_path)
    with pytest.raises(VerificationError, match="wrong password"):
        sign_decision(
            s.session, username="binh", password="wrong", origin=s.log.origin, item_id="itm_1",
            revision=1, manifest_hash=M1, decision="approve", role="truong_phong",
            stage="review", checkpoint=store.latest_checkpoint(s.session) or "", now=s.now,
        )  # fmt: skip
    signed = s.sign("binh", item="itm_1", revision=1, manifest=M1, role="truong_phong",
                    stage="review")  # fmt: skip
    statement = verify_statement(signed.note, parse_vkey(signed.vkey))
    assert (statement.item, statement.manifest, statement.signer) == ("itm_1", M1, "binh")
    _, event = enroll_approver_key(s.session, username="binh", password=PASSWORD, now=s.now)
    assert event.event_type == "key.rotated"
    assert event.body["old_vkey"] == signed.vkey


def _settings(tmp_path: Path, passphrase: str | None = None) -> Settings:
    return Settings(
        home=tmp_path / "home",
        database_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
        log_origin="test.clearance.local/log",
        log_key_passphrase=passphrase,
    )


def test_init_log_is_idempotent_private_and_optionally_sealed(tmp_path: Path) -> None:
    plain = _settings(tmp_path / "a")
    vkey = init_log(plain)
    assert init_log(plain) == vkey
    key_file = plain.keys_dir / "log.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert (plain.keys_dir / "log.vkey").read_text().strip() == vkey
    sealed = _settings(tmp_path / "b", passphrase="s3cret passphrase")
    init_log(sealed)
    assert "PRIVATE+KEY" not in (sealed.keys_dir / "log.key").read_text()
    assert open_log(sealed).verifier.vkey == init_log(sealed)
    with pytest.raises(ConfigurationError, match="does not unlock"):
        open_log(_settings(tmp_path / "b", passphrase="wrong"))
    with pytest.raises(ConfigurationError, match="is sealed"):
        open_log(_settings(tmp_path / "b"))


def test_log_key_rotation_keeps_the_log_verifiable(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    old_vkey = init_log(settings)
    sessions = make_session_factory(engine)
    from datetime import UTC, datetime

    now = datetime(2025, 3, 1, tzinfo=UTC)
    with sessions() as session:
        open_log(settings).append(session, [Event("user.registered", actor="a")], now=now)
        session.commit()
    new_vkey = rotate_log_key(settings, sessions, actor="operator", now=now)
    assert new_vkey != old_vkey
    assert (settings.keys_dir / "log.vkey").read_text().strip() == new_vkey
    with sessions() as session:
        open_log(settings).append(session, [Event("user.registered", actor="b")], now=now)
        session.commit()
        from clearance.auditlog.export import export_log

        export_log(session, tmp_path / "export", new_vkey)
    report = verify_export(tmp_path / "export", old_vkey)
    assert report.ok, report.findings
    assert report.entries == 3
    assert not verify_export(tmp_path / "export", new_vkey).ok  # the first checkpoint predates it


def test_verifier_imports_no_server_code() -> None:
    code = (
        "import sys; import clearance.auditlog.offline, clearance.auditlog.verify; "
        "bad = [m for m in ('flask', 'prefect', 'sqlalchemy', 'click') if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
