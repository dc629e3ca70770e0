"""Tamper suite: a real log, one attack per test, and the verifier's exact finding.

Entry indices of the honest story (see auditlog_scenario.build): 0 policy.loaded, 1-3
user.registered, 4-6 key.registered, 7 item.submitted, 8 classified, 9 screened, 10-11 sign-offs,
12 publication.published.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clearance.auditlog.checkpoint import Checkpoint
from clearance.auditlog.entry import parse_leaf
from clearance.auditlog.note import Signer
from clearance.auditlog.offline import main as offline_main
from clearance.auditlog.rfc6962 import leaf_hash
from clearance.auditlog.tree import root_of
from clearance.auditlog.verify import Report, verify_export
from clearance.canonical import canonical_json
from clearance.errors import BadInput
from clearance.events import Event
from clearance.signing.approver import signoff_event
from tests.auditlog.auditlog_scenario import M1, M2, OTHER, Scenario, build, on, submitted

HONEST_SIZE = 13


@pytest.fixture(scope="module")
def honest(tmp_path_factory: pytest.TempPathFactory) -> tuple[Scenario, Path]:
    return build(tmp_path_factory.mktemp("honest"))


def copy(src: Path, dst: Path) -> Path:
    import shutil

    shutil.copytree(src, dst)
    return dst


def lines(export: Path) -> list[bytes]:
    return (export / "entries.jsonl").read_bytes().splitlines()


def write_lines(export: Path, rows: list[bytes]) -> None:
    (export / "entries.jsonl").write_bytes(b"".join(r + b"\n" for r in rows))


def verify(s: Scenario, export: Path, trusted: tuple[str, ...] = ()) -> Report:
    return verify_export(export, s.signer.verifier.vkey, trusted)


def only(report: Report) -> tuple[str, int | None]:
    assert report.first is not None, "the attack was not detected"
    return report.first.code, report.first.index


def test_honest_log_verifies(honest: tuple[Scenario, Path]) -> None:
    s, export = honest
    report = verify(s, export)
    assert report.ok, report.findings
    assert report.entries == HONEST_SIZE
    assert report.checkpoints == HONEST_SIZE
    assert report.signatures == 2


def test_honest_log_verifies_against_every_earlier_checkpoint(
    honest: tuple[Scenario, Path],
) -> None:
    s, export = honest
    trusted = tuple(p.read_text() for p in sorted((export / "checkpoints").iterdir()))
    assert verify(s, export, trusted).ok


def test_byte_flipped(honest: tuple[Scenario, Path], tmp_path: Path) -> None:
    s, export = honest
    t = copy(export, tmp_path / "t")
    rows = lines(t)
    rows[2] = rows[2].replace(b'"binh"', b'"binx"')
    write_lines(t, rows)
    assert only(verify(s, t)) == ("entry-chain", 2)


def test_byte_flipped_in_last_entry(honest: tuple[Scenario, Path], tmp_path: Path) -> None:
    s, export = honest
    t = copy(export, tmp_path / "t")
    rows = lines(t)
    rows[-1] = rows[-1].replace(b"website", b"websitf")
    write_lines(t, rows)
    assert only(verify(s, t)) == ("checkpoint-root", HONEST_SIZE - 1)


def test_byte_flipped_breaking_json(honest: tuple[Scenario, Path], tmp_path: Path) -> None:
    s, export = honest
    t = copy(export, tmp_path / "t")
    rows = lines(t)
    rows[4] = rows[4][:-1]
    write_lines(t, rows)
    assert only(verify(s, t)) == ("entry-malformed", 4)


def test_entry_deleted(honest: tuple[Scenario, Path], tmp_path: Path) -> None:
    s, export = honest
    t = copy(export, tmp_path / "t")
    rows = lines(t)
    del rows[5]
    write_lines(t, rows)
    assert only(verify(s, t)) == ("entry-seq", 5)


def test_entries_reordered(honest: tuple[Scenario, Path], tmp_path: Path) -> None:
    s, export = honest
    t = copy(export, tmp_path / "t")
    rows = lines(t)
    rows[5], rows[6] = rows[6], rows[5]
    write_lines(t, rows)
    assert only(verify(s, t)) == ("entry-seq", 5)


def test_entry_duplicated(honest: tuple[Scenario, Path], tmp_path: Path) -> None:
    s, export = honest
    t = copy(export, tmp_path / "t")
    rows = lines(t)
    rows.insert(6, rows[5])
    write_lines(t, rows)
    assert only(verify(s, t)) == ("entry-seq", 6)


def _rechain(rows: list[bytes], start: int) -> list[bytes]:
    """What an attacker without the key can do: renumber and re-link every later entry."""
    out = rows[:start]
    for i in range(start, len(rows)):
        data = parse_leaf(rows[i]).as_dict()
        data["seq"] = i
        data["prev"] = leaf_hash(out[i - 1]).hex() if i else "0" * 64
        out.append(canonical_json(data))
    return out


def test_entry_inserted(honest: tuple[Scenario, Path], tmp_path: Path) -> None:
    s, export = honest
    t = copy(export, tmp_path / "t")
    rows = lines(t)
    forged = parse_leaf(rows[9]).as_dict()
    forged["body"] = {"verdict": "clear", "note": "inserted"}
    rows.insert(10, canonical_json(forged))
    write_lines(t, _rechain(rows, 10))
    assert only(verify(s, t)) == ("checkpoint-root", 10)


def test_tail_truncated_without_trusted_checkpoint(
    honest: tuple[Scenario, Path], tmp_path: Path
) -> None:
    s, export = honest
    t = copy(export, tmp_path / "t")
    write_lines(t, lines(t)[:-2])
    assert only(verify(s, t)) == ("truncated", HONEST_SIZE - 2)


def _rolled_back(export: Path, dst: Path, keep: int) -> Path:
    """Truncate to ``keep`` entries and roll the checkpoints back consistently."""
    t = copy(export, dst)
    write_lines(t, lines(t)[:keep])
    (t / "checkpoint").unlink()
    for p in (t / "checkpoints").iterdir():
        if int(p.name) > keep:
            p.unlink()
        elif int(p.name) == keep:
            p.rename(t / "checkpoint")
    return t


def test_tail_truncated_with_older_trusted_checkpoint(
    honest: tuple[Scenario, Path], tmp_path: Path
) -> None:
    s, export = honest
    seen_earlier = (export / "checkpoints" / "12").read_text()
    t = _rolled_back(export, tmp_path / "t", keep=10)
    # Without what the auditor saw before, a consistent rollback is indistinguishable from an
    # older log; with it, the truncation is caught.
    assert verify(s, t).ok
    assert only(verify(s, t, (seen_earlier,))) == ("truncated", 10)


def test_history_rewritten_and_resigned_with_other_key(
    honest: tuple[Scenario, Path], tmp_path: Path
) -> None:
    s, export = honest
    t = copy(export, tmp_path / "t")
    rows = lines(t)
    rows[12] = rows[12].replace(b"website", b"facebook")
    rows = _rechain(rows, 12)
    write_lines(t, rows)
    evil = Signer.generate(s.log.origin)
    hashes = [leaf_hash(r) for r in rows]
    for p in [t / "checkpoint", *(t / "checkpoints").iterdir()]:
        size = HONEST_SIZE if p.name == "checkpoint" else int(p.name)
        p.write_text(Checkpoint(s.log.origin, size, root_of(hashes[:size])).sign([evil]))
    (t / "log.vkey").write_text(evil.verifier.vkey + "\n")
    report = verify(s, t)
    assert only(report) == ("checkpoint-untrusted", None)
    # ...and the substituted log.vkey in the bundle is never used: with it, all would "verify".
    assert verify_export(t, (t / "log.vkey").read_text().strip()).ok


def test_fork_signed_by_the_real_key_caught_by_trusted_checkpoint(
    honest: tuple[Scenario, Path], tmp_path: Path
) -> None:
    s, export = honest
    seen_earlier = (export / "checkpoint").read_text()
    t = copy(export, tmp_path / "t")
    rows = _rechain([*lines(t)[:12], lines(t)[12].replace(b"website", b"facebook")], 12)
    write_lines(t, rows)
    hashes = [leaf_hash(r) for r in rows]
    (t / "checkpoint").write_text(
        Checkpoint(s.log.origin, HONEST_SIZE, root_of(hashes)).sign([s.signer])
    )
    assert verify(s, t).ok
    assert only(verify(s, t, (seen_earlier,))) == ("fork", 12)


def test_checkpoint_signature_corrupted(honest: tuple[Scenario, Path], tmp_path: Path) -> None:
    s, export = honest
    t = copy(export, tmp_path / "t")
    text = (t / "checkpoint").read_text()
    head, sig = text.rsplit(" ", 1)
    flipped = ("B" if sig[10] != "B" else "C").join([sig[:10], sig[11:]])
    (t / "checkpoint").write_text(f"{head} {flipped}")
    assert only(verify(s, t)) == ("checkpoint-signature", None)


def test_signoff_replayed_onto_another_revision(tmp_path: Path) -> None:
    def attack(s: Scenario) -> None:
        s.add(submitted("itm_1", 2, M2, "an"))
        honest = s.sign("binh", item="itm_1", revision=1, manifest=M1, role="truong_phong",
                        stage="review")  # fmt: skip
        event = signoff_event(honest, policy_hash=None)
        replay = Event(event.event_type, actor="binh", item_id="itm_1", revision=2,
                       manifest_hash=M2, body=event.body)  # fmt: skip
        s.add(replay)

    s, export = build(tmp_path, attack)
    assert only(verify(s, export)) == ("signoff-mismatch", HONEST_SIZE + 1)


def test_self_approval(tmp_path: Path) -> None:
    def attack(s: Scenario) -> None:
        s.add(submitted("itm_2", 1, M2, "an"))
        s.signoff("an", item="itm_2", revision=1, manifest=M2, role="truong_phong",
                  stage="review")  # fmt: skip

    s, export = build(tmp_path, attack)
    assert only(verify(s, export)) == ("self-approval", HONEST_SIZE + 1)


def test_publication_of_other_bytes(tmp_path: Path) -> None:
    def attack(s: Scenario) -> None:
        s.add(on("publication.published", "itm_1", 1, OTHER, channel="website"))

    s, export = build(tmp_path, attack)
    assert only(verify(s, export)) == ("publication-mismatch", HONEST_SIZE)


def test_publication_without_signoffs(tmp_path: Path) -> None:
    def attack(s: Scenario) -> None:
        s.add(submitted("itm_3", 1, M2, "an"))
        s.add(on("revision.classified", "itm_3", 1, M2, level="internal"))
        s.add(on("revision.screened", "itm_3", 1, M2, verdict="clear"))
        s.signoff("binh", item="itm_3", revision=1, manifest=M2, role="truong_phong",
                  stage="review")  # fmt: skip
        s.add(on("publication.published", "itm_3", 1, M2, channel="website"))

    s, export = build(tmp_path, attack)
    report = verify(s, export)
    assert only(report) == ("publication-unapproved", HONEST_SIZE + 4)
    assert report.first is not None and "final: 1 more" in str(report.first)


def test_publication_without_clear_screening(tmp_path: Path) -> None:
    def attack(s: Scenario) -> None:
        s.add(on("revision.screened", "itm_1", 1, M1, verdict="blocked"))
        s.add(on("publication.published", "itm_1", 1, M1, channel="facebook"))

    s, export = build(tmp_path, attack)
    assert only(verify(s, export)) == ("publication-unscreened", HONEST_SIZE + 1)


def test_bad_key_registration_is_a_finding(tmp_path: Path) -> None:
    def attack(s: Scenario) -> None:
        from clearance.auditlog.note import format_vkey

        vkey = format_vkey("dave", bytes(32))
        s.add(Event("key.registered", actor="dave", body={"username": "dave", "vkey": vkey}))

    s, export = build(tmp_path, attack)
    report = verify(s, export)
    assert only(report) == ("bad-key", HONEST_SIZE)
    assert "small order" in str(report.first)


def test_cli_exit_codes_and_json(
    honest: tuple[Scenario, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    s, export = honest
    vkey = tmp_path / "log.vkey"
    vkey.write_text(s.signer.verifier.vkey + "\n")
    assert offline_main(["verify", str(export), "--vkey", str(vkey)]) == 0
    assert "OK: 13 entries" in capsys.readouterr().out
    t = copy(export, tmp_path / "t")
    write_lines(t, lines(t)[:-1])
    assert offline_main(["verify", str(t), "--vkey", str(vkey), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["first"] == {
        "code": "truncated",
        "index": 12,
        "message": "the export holds 12 entries but checkpoint covers 13: the tail was truncated",
        # added beside the stable fields: what the message names, for a translated sentence
        "params": {"file": "checkpoint", "size": 13, "entries": 12},
    }
    assert offline_main(["verify", str(tmp_path / "missing"), "--vkey", str(vkey)]) == 2
    bad = tmp_path / "bad.vkey"
    bad.write_text("not a vkey\n")
    assert offline_main(["verify", str(export), "--vkey", str(bad)]) == 2
    assert "error:" in capsys.readouterr().err


def test_trusted_checkpoint_that_does_not_verify_is_bad_input(
    honest: tuple[Scenario, Path],
) -> None:
    s, export = honest
    other = Checkpoint(s.log.origin, 3, b"\x00" * 32).sign([Signer.generate(s.log.origin)])
    with pytest.raises(BadInput, match="does not verify with the vkey given"):
        verify(s, export, (other,))
