"""The hard guard: screening in a child forked from a warm server, with a wall timeout, a CPU cap
and a memory limit per file; a cap hit is a held result and the next file is screened as usual."""

from __future__ import annotations

import dataclasses
import io
import os
import signal
import time
from pathlib import Path

import pytest
from PIL import Image

from clearance.screening import ScreeningRules, Verdict, screen_file, screen_file_isolated
from clearance.screening.isolated import _SERVER
from tests.screening import corpus as c

# html.parser re-scans an unclosed start tag on every feed: quadratic, minutes for 80 kB.
PATHOLOGICAL_HTML = b"<html><body>" + b"<p x" * 20000
MIB = 1024 * 1024


def _agrees(data: bytes, name: str, rules: ScreeningRules) -> None:
    inside = screen_file(data, name, rules)
    isolated = screen_file_isolated(data, name, rules)
    assert isolated.to_json() == inside.to_json()
    assert isolated.coverage == inside.coverage
    assert isolated.sanitized == inside.sanitized


def _still_serves(rules: ScreeningRules) -> None:
    after = screen_file_isolated(c.docx([c.para(c.run("MẬT"))]), "next.docx", rules)
    assert after.verdict is Verdict.BLOCKED
    assert after.held_reason is None


@pytest.mark.slow
def test_wall_timeout_is_held_and_the_server_carries_on(rules: ScreeningRules) -> None:
    screen_file_isolated(b"warm", "a.txt", rules)
    server = _SERVER.pid
    start = time.monotonic()
    result = screen_file_isolated(PATHOLOGICAL_HTML, "slow.html", rules, timeout=2, cpu_seconds=60)
    assert time.monotonic() - start < 10
    assert result.verdict is Verdict.REVIEW
    assert "did not finish within 2 s" in (result.held_reason or "")
    _still_serves(rules)
    assert _SERVER.pid == server


@pytest.mark.slow
def test_cpu_cap_is_held_and_the_server_carries_on(rules: ScreeningRules) -> None:
    result = screen_file_isolated(PATHOLOGICAL_HTML, "slow.html", rules, timeout=60, cpu_seconds=1)
    assert result.verdict is Verdict.REVIEW
    assert "more than 1 s of CPU time" in (result.held_reason or "")
    _still_serves(rules)


@pytest.mark.slow
def test_memory_cap_is_held_and_the_server_carries_on(rules: ScreeningRules) -> None:
    big = ("Lễ hội du lịch biển Nha Trang " * 40 + "\n").encode() * 16000  # 24 MB of text
    result = screen_file_isolated(big, "big.txt", rules, memory_bytes=160 * MIB)
    assert result.verdict is Verdict.REVIEW
    assert result.held_reason
    _still_serves(rules)


@pytest.mark.slow
def test_a_dead_server_is_restarted(rules: ScreeningRules) -> None:
    screen_file_isolated(b"warm", "a.txt", rules)
    old = _SERVER.pid
    assert old is not None
    os.kill(old, signal.SIGKILL)
    time.sleep(0.2)
    _still_serves(rules)
    assert _SERVER.pid not in (None, old)


@pytest.mark.slow
def test_79_megapixel_png_stays_within_the_memory_cap(rules: ScreeningRules) -> None:
    out = io.BytesIO()
    Image.new("L", (8900, 8900), 255).save(out, "PNG", optimize=True)
    assert len(out.getvalue()) < 400 * 1024
    result = screen_file_isolated(out.getvalue(), "scan.png", rules, memory_bytes=600 * MIB)
    assert "process" not in (result.held_reason or "")  # screened or held by a rule, not a cap
    _still_serves(rules)


@pytest.mark.slow
def test_isolated_result_equals_in_process_result(rules: ScreeningRules) -> None:
    _agrees(
        c.docx([c.para(c.run("MẬT")), c.para(c.run("Báo cáo"))], comment="ĐT 0905 123 456"),
        "b.docx",
        rules,
    )
    clear = c.docx([c.para(c.run("Lễ hội du lịch biển"))])
    assert screen_file_isolated(clear, "c.docx", rules).verdict is Verdict.CLEAR
    _agrees(clear, "c.docx", rules)
    _agrees(c.xlsx([("Sheet1", "visible", [["Du lịch", "Mật ong"]])]), "d.xlsx", rules)
    _agrees(c.pdf(["Press release", "Festival"]), "e.pdf", rules)
    _agrees(c.jpeg_with_gps("Ảnh lễ hội"), "f.jpg", rules)
    _agrees(b"<html><body><p>Mat ong</p></body></html>", "g.html", rules)


def _spares(server: int) -> set[int]:
    """The server's children that are forks of it (not the LibreOffice driver it keeps)."""
    own = Path(f"/proc/{server}/cmdline").read_bytes()
    found: set[int] = set()
    for pid in Path(f"/proc/{server}/task/{server}/children").read_text().split():
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            if cmdline == own and Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z":
                found.add(int(pid))
        except FileNotFoundError:
            continue
    return found


def _spare_of(server: int) -> int:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        spares = _spares(server)
        if len(spares) == 1:
            return spares.pop()
        time.sleep(0.05)
    raise AssertionError(f"no single spare child: {_spares(server)}")


@pytest.mark.slow
def test_a_spare_child_waits_for_the_next_file(rules: ScreeningRules) -> None:
    screen_file_isolated(b"warm", "a.txt", rules)
    server = _SERVER.pid
    assert server is not None
    spare = _spare_of(server)  # forked ahead, before any file asks for it
    _still_serves(rules)  # that spare screens this file...
    deadline = time.monotonic() + 10
    while spare in _spares(server) and time.monotonic() < deadline:  # and ends once answered
        time.sleep(0.05)
    after = _spare_of(server)  # ...and the next one is already waiting
    assert after != spare
    os.kill(after, signal.SIGKILL)  # a spare that dies is replaced; the server carries on
    _still_serves(rules)
    assert _SERVER.pid == server
    other = dataclasses.replace(rules, limits=dataclasses.replace(rules.limits, max_pages=7))
    result = screen_file_isolated(c.docx([c.para(c.run("MẬT"))]), "x.docx", other)
    assert result.verdict is Verdict.BLOCKED and result.held_reason is None  # new rules: new spare
    _still_serves(rules)
