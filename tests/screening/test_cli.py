"""The ``clearance screen`` contract: JSON shape and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import click
from click.testing import CliRunner

from cli.screen import register
from tests.screening import corpus as c


def cli() -> click.Group:
    group = click.Group("clearance")
    register(group)
    return group


def test_json_and_exit_codes(tmp_path: Path) -> None:
    clear = tmp_path / "tin.txt"
    clear.write_text("Tin du lịch: mật ong rừng.", encoding="utf-8")
    secret = tmp_path / "bao-cao.docx"
    secret.write_bytes(c.docx([c.para(c.run("MẬT"))]))
    runner = CliRunner()
    ok = runner.invoke(cli(), ["screen", str(clear), "--json"])
    assert ok.exit_code == 0
    assert json.loads(ok.output)["results"][0]["verdict"] == "clear"
    bad = runner.invoke(cli(), ["screen", str(clear), str(secret), "--json"])
    assert bad.exit_code == 1
    result = json.loads(bad.output)["results"][1]
    assert set(result) == {"path", "verdict", "detected_type", "level", "findings", "coverage"}
    assert result["coverage"] and set(result["coverage"][0]) == {
        "part",
        "method",
        "chars",
        "pixels",
    }
    assert result["verdict"] == "blocked" and result["level"] == "mat"
    assert set(result["findings"][0]) == {"rule", "severity", "message", "location"}
    text = runner.invoke(cli(), ["screen", str(secret)])
    assert "marking.mat" in text.output


def test_bad_input_exits_2(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli(), ["screen", str(tmp_path / "missing.txt")]).exit_code == 2
    policy = tmp_path / "p.yaml"
    policy.write_text("markings: 3\n", encoding="utf-8")
    some = tmp_path / "a.txt"
    some.write_text("x", encoding="utf-8")
    assert runner.invoke(cli(), ["screen", str(some), "--policy", str(policy)]).exit_code == 2


def test_each_file_is_screened_in_the_capped_child(tmp_path: Path) -> None:
    from clearance.screening.isolated import _SERVER

    _SERVER.stop()
    some = tmp_path / "tin.txt"
    some.write_text("Tin du lịch.", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(cli(), ["screen", str(some), "--json"])
    assert result.exit_code == 0
    assert _SERVER.pid is not None  # the pipeline's warm fork server screened it
