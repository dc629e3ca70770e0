"""The verifier on logs the product writes: ``clearance init``, then a real pipeline story."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from clearance.auditlog.export import export_log
from clearance.auditlog.offline import main as offline_main
from clearance.auditlog.verify import verify_export
from clearance.runtime import Runtime
from cli import main as cli


def _verify(export: Path, vkey: Path) -> tuple[int, dict[str, object]]:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = offline_main(["verify", str(export), "--vkey", str(vkey), "--json"])
    return code, json.loads(out.getvalue())


def test_clearance_init_log_exports_and_verifies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("CLEARANCE_HOME", str(home))
    monkeypatch.setenv("CLEARANCE_ENV", "test")
    monkeypatch.delenv("CLEARANCE_DATABASE_URL", raising=False)
    runner = CliRunner()
    init = runner.invoke(cli, ["init"])
    assert init.exit_code == 0, init.output
    export = tmp_path / "export"
    done = runner.invoke(cli, ["audit", "export", str(export)])
    assert done.exit_code == 0, done.output
    vkey = home / "keys" / "log.vkey"
    code, report = _verify(export, vkey)
    assert code == 0, report
    assert report["ok"] is True and isinstance(report["entries"], int) and report["entries"] >= 2
    leaves = [json.loads(line) for line in (export / "entries.jsonl").read_text().splitlines()]
    assert "policy.loaded" in {leaf["type"] for leaf in leaves}


@pytest.mark.slow
def test_pipeline_story_log_verifies(tmp_path: Path) -> None:
    """Submit, review, sign off in order, publish; a second item goes back for changes and is
    resubmitted; everything the product logged verifies offline."""
    from clearance.publishing import publish_all
    from clearance.services.items import Submission, new_revision
    from clearance.services.review import review_revision
    from clearance.services.signoff import decide
    from tests.flows.conftest import (
        CLEAN_BODY,
        PASSWORD,
        approve_fully,
        make_settings,
        open_world,
        submit_text,
    )

    rt: Runtime = open_world(make_settings(tmp_path / "home"))
    try:
        first = submit_text(rt)
        review_revision(rt, first)
        approve_fully(rt, first)
        publish_all(rt, first)
        second = submit_text(rt, title="Thông cáo báo chí thứ hai")
        review_revision(rt, second)
        decide(rt, item_id=second, approver="hung.le", password=PASSWORD,
               decision="request-changes", comment="sửa tiêu đề")  # fmt: skip
        new_revision(rt, author="lan.nguyen", item_id=second,
                     submission=Submission(title="Thông cáo báo chí (sửa)", channels=["website"],
                                           declared_level="cong_khai", body_text=CLEAN_BODY))  # fmt: skip
        review_revision(rt, second)
        approve_fully(rt, second)
        publish_all(rt, second)
        export = tmp_path / "export"
        vkey_text = (rt.settings.keys_dir / "log.vkey").read_text().strip()
        with rt.sessions() as session:
            export_log(session, export, vkey_text)
    finally:
        rt.close()
    report = verify_export(export, vkey_text)
    assert report.ok, report.findings
    assert report.signatures == 5
