"""The `clearance` command as a user runs it: real process, real database, exit codes."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

CLI = [sys.executable, "-m", "cli"]


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def _what_is_stored(cwd: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Every item and revision, and the audit log's length, read from the home's database."""
    db = sqlite3.connect(f"file:{cwd / 'var' / 'clearance.db'}?mode=ro", uri=True)
    try:
        items = db.execute("SELECT * FROM items ORDER BY id").fetchall()
        rest = db.execute(
            "SELECT (SELECT count(*) FROM revisions), (SELECT count(*) FROM parts),"
            " (SELECT count(*) FROM users), (SELECT count(*) FROM audit_entries)"
        ).fetchall()
    finally:
        db.close()
    return items, rest


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], Path]:
    cwd = tmp_path_factory.mktemp("cli")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLEARANCE_")}
    env.update({"CLEARANCE_HOME": str(cwd / "var"), "CLEARANCE_MAX_UPLOAD_BYTES": "1000000"})
    first = run(["init"], env, cwd)
    assert first.returncode == 0, first.stderr
    assert "password:" in first.stdout
    # every test may run on another xdist worker: create the shared author here
    assert run(["users", "add", "tac-gia", "--role", "author"], env, cwd).returncode == 0
    return env, cwd


def test_help_lists_every_foundation_command(home: tuple[dict[str, str], Path]) -> None:
    env, cwd = home
    out = run(["--help"], env, cwd).stdout
    for command in ("init", "db", "users", "submit", "items"):
        assert f"  {command} " in out
    users_help = run(["users", "--help"], env, cwd).stdout
    for sub in ("add", "list", "set-role"):
        assert f"  {sub} " in users_help


def test_init_is_idempotent_and_shows_the_password_once(
    home: tuple[dict[str, str], Path],
) -> None:
    env, cwd = home
    again = run(["init"], env, cwd)
    assert again.returncode == 0
    assert "password:" not in again.stdout
    assert "already exists" in again.stdout
    secret = cwd / "var" / "secrets" / "secret_key"
    assert secret.stat().st_mode & 0o777 == 0o600


def test_submit_and_show(home: tuple[dict[str, str], Path]) -> None:
    env, cwd = home
    body = cwd / "body.txt"
    body.write_text("Lễ hội hoa Đà Lạt khai mạc ngày 20/12.", encoding="utf-8")
    done = run(
        [
            "submit",
            "--as",
            "tac-gia",
            "--title",
            "Thông cáo",
            "--body-file",
            str(body),
            "--channel",
            "website",
            "--level",
            "cong_khai",
        ],
        env,
        cwd,
    )
    assert done.returncode == 0, done.stderr
    item_id = done.stdout.strip()
    assert len(item_id) == 16
    shown = run(["items", "show", item_id], env, cwd)
    assert "state awaiting_signoff" in shown.stdout  # reviewed inline: no Prefect API is set
    assert item_id in run(["items", "list"], env, cwd).stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["users", "add", "x", "--role", "author"], "username 'x' is not valid"),
        (["users", "set-role", "nobody", "--role", "author"], "there is no user 'nobody'"),
        (
            [
                "submit",
                "--as",
                "ghost",
                "--title",
                "t",
                "--body",
                "b",
                "--channel",
                "website",
                "--level",
                "cong_khai",
            ],
            "there is no user 'ghost'",
        ),
        (
            [
                "submit",
                "--as",
                "admin",
                "--title",
                "t",
                "--body",
                "b",
                "--channel",
                "website",
                "--level",
                "cong_khai",
            ],
            "does not have the author role",
        ),
        (
            [
                "submit",
                "--as",
                "tac-gia",
                "--title",
                " ",
                "--body",
                "b",
                "--channel",
                "website",
                "--level",
                "cong_khai",
            ],
            "the title is empty",
        ),
        (
            [
                "submit",
                "--as",
                "tac-gia",
                "--title",
                "t",
                "--body",
                "b",
                "--channel",
                "fax",
                "--level",
                "cong_khai",
            ],
            "unknown channel 'fax'",
        ),
        (
            [
                "submit",
                "--as",
                "tac-gia",
                "--title",
                "t",
                "--attach",
                "missing.pdf",
                "--channel",
                "website",
                "--level",
                "cong_khai",
            ],
            "'missing.pdf' does not exist",
        ),
        (
            [
                "submit",
                "--as",
                "tac-gia",
                "--title",
                "t",
                "--attach",
                "big.bin",
                "--channel",
                "website",
                "--level",
                "cong_khai",
            ],
            "larger than the limit",
        ),
        (["items", "show", "nope"], "there is no item 'nope'"),
    ],
)
def test_bad_input_exits_2_with_one_sentence(
    home: tuple[dict[str, str], Path], args: list[str], message: str
) -> None:
    env, cwd = home
    (cwd / "big.bin").write_bytes(b"\0" * 1_000_001)
    before = _what_is_stored(cwd)
    result = run(args, env, cwd)
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert message in lines[0]
    assert "Traceback" not in result.stderr
    assert _what_is_stored(cwd) == before  # nothing written, nothing lost


def test_unreachable_database_exits_2(home: tuple[dict[str, str], Path]) -> None:
    env, cwd = home
    bad = {**env, "CLEARANCE_DATABASE_URL": "postgresql://u:secret@127.0.0.1:1/none"}
    result = run(["items", "list"], bad, cwd)
    assert result.returncode == 2
    assert "cannot be reached" in result.stderr and "secret" not in result.stderr


def test_set_role_is_refused_once_a_second_administrator_exists(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLEARANCE_")}
    env["CLEARANCE_HOME"] = str(tmp_path / "var")
    assert run(["init"], env, tmp_path).returncode == 0
    assert run(["users", "add", "lan", "--role", "author"], env, tmp_path).returncode == 0
    # setting up with one administrator: the operator's change applies (and is logged)
    grant = ["users", "set-role", "lan", "--role", "approver", "--signoff-role", "unit_head"]
    assert run(grant, env, tmp_path).returncode == 0
    second = run(["users", "add", "quan-tri-2", "--role", "admin"], env, tmp_path)
    assert second.returncode == 0, second.stderr
    refused = run(["users", "set-role", "lan", "--role", "admin"], env, tmp_path)
    assert refused.returncode == 1
    assert "second administrator's confirmation" in refused.stderr
    third = run(["users", "add", "quan-tri-3", "--role", "admin"], env, tmp_path)
    assert third.returncode == 1 and "second administrator's confirmation" in third.stderr
    assert run(["users", "add", "minh", "--role", "author"], env, tmp_path).returncode == 0
    listed = run(["users", "list"], env, tmp_path).stdout
    assert "lan" in listed and "admin" not in next(
        row for row in listed.splitlines() if "lan " in row
    )


def test_python_m_clearance_names_the_command(tmp_path: Path) -> None:
    # the core does not start its command-line adapter: it says which command does
    done = subprocess.run(
        [sys.executable, "-m", "clearance"], cwd=tmp_path, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "`clearance`" in done.stderr and "clearance-verify" in done.stderr
    assert done.stdout == ""
