"""`clearance audit verify` hands over to the light offline verifier, whose processes import no
part of the product beyond stdlib, `cryptography` and the pure log modules."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main as cli

HEAVY = ("alembic", "sqlalchemy", "flask", "prefect", "clearance.screening", "cli")
BIN = Path(sys.executable).parent


def _heavy(name: str) -> bool:
    """A module of one of the HEAVY packages (``cli`` itself, not ``click``)."""
    return any(name == h or name.startswith(h + ".") for h in HEAVY)


def _export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    home = tmp_path / "home"
    monkeypatch.setenv("CLEARANCE_HOME", str(home))
    monkeypatch.setenv("CLEARANCE_ENV", "test")
    monkeypatch.delenv("CLEARANCE_DATABASE_URL", raising=False)
    runner = CliRunner()
    assert runner.invoke(cli, ["init"]).exit_code == 0
    export = tmp_path / "export"
    done = runner.invoke(cli, ["audit", "export", str(export)])
    assert done.exit_code == 0, done.output
    return export, home / "keys" / "log.vkey"


def _imported(stderr: str) -> set[str]:
    """Module names from `-X importtime` lines ("import time: self | cumulative | name")."""
    names = set()
    for line in stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    return names


def test_the_offline_verifier_imports_nothing_heavy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export, vkey = _export(tmp_path, monkeypatch)
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "clearance.auditlog.offline", "verify",
         str(export), "--vkey", str(vkey), "--json"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)["ok"] is True
    names = _imported(done.stderr)
    assert "clearance.auditlog.verify" in names  # the listing is real
    heavy = sorted(n for n in names if _heavy(n))
    assert heavy == []


@pytest.mark.slow
def test_clearance_audit_verify_becomes_the_light_verifier(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export, vkey = _export(tmp_path, monkeypatch)
    env = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1"}
    done = subprocess.run(
        [str(BIN / "clearance"), "audit", "verify", str(export), "--vkey", str(vkey), "--json"],
        capture_output=True, text=True, timeout=120, check=False, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)["ok"] is True
    # the command line is imported once (before the hand-over), the offline verifier after it
    # as the main module of a fresh interpreter: its own `encodings` start-up shows again
    lines = [ln.rsplit("|", 1)[1].strip() for ln in done.stderr.splitlines() if "|" in ln]
    after = lines[max(i for i, n in enumerate(lines) if n == "cli") + 1 :]
    assert "encodings" in after, "audit verify did not start the light verifier"
    assert not [n for n in after if _heavy(n)]
    bad = subprocess.run(
        [str(BIN / "clearance"), "audit", "verify", str(tmp_path / "missing"), "--vkey",
         str(vkey)],
        capture_output=True, text=True, timeout=120, check=False, env=os.environ.copy(),
    )  # fmt: skip
    assert bad.returncode == 2 and "does not exist" in bad.stderr


def test_clearance_verify_is_the_offline_verifier(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export, vkey = _export(tmp_path, monkeypatch)
    done = subprocess.run(
        [str(BIN / "clearance-verify"), "verify", str(export), "--vkey", str(vkey)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0 and done.stdout.startswith("OK:"), done.stderr
