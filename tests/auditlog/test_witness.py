"""Witnesses (c2sp.org/tlog-witness): the protocol's answers, and a witness in its own process and
home catching every tampering that a log's own key can paper over."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from clearance.auditlog import store
from clearance.auditlog.checkpoint import Checkpoint, parse_body
from clearance.auditlog.cosignature import Cosigner
from clearance.auditlog.export import unsigned_tail
from clearance.auditlog.note import Signer, split
from clearance.auditlog.proof import consistency_proof
from clearance.auditlog.receipt import verify_receipt
from clearance.auditlog.tree import Levels
from clearance.auditlog.verify import WitnessRequirement, verify_export
from clearance.auditlog.witnesscheck import fetch_latest
from clearance.auditlog.witnessing import TreeCache, collect
from clearance.auditlog.witnesspolicy import WitnessPolicy, parse_policy
from clearance.auditlog.witnessrequest import format_request
from clearance.errors import BadInput, VerificationError
from clearance.events import Event
from clearance.storage.db import make_engine, make_session_factory
from clearance.witness.protocol import Witness
from clearance.witness.state import WitnessState
from tests.auditlog.auditlog_scenario import ORIGIN, Scenario, build

# ---------------------------------------------------------------- the protocol, in process


def _tree(n: int) -> Levels:
    return Levels([bytes([i % 256]) * 32 for i in range(n)])


@dataclass
class Log:
    signer: Signer
    levels: Levels

    def note(self, size: int, root: bytes | None = None) -> str:
        body = Checkpoint(self.signer.name, size, root or self.levels.root(size))
        return body.sign([self.signer])


@pytest.fixture
def log() -> Log:
    return Log(Signer.generate("log.example/a"), _tree(1000))


@pytest.fixture
def witness(tmp_path: Path, log: Log) -> Iterator[Witness]:
    state = WitnessState(tmp_path / "state.db")
    yield Witness(
        Cosigner.generate("witness.example/w"),
        {log.signer.name: [log.signer.verifier]},
        state,
        clock=lambda: 1_700_000_000,
    )
    state.close()


def _add(w: Witness, log: Log, old: int, size: int) -> tuple[int, str]:
    proof = consistency_proof(log.levels, old, size) if 0 < old < size else []
    answer = w.add_checkpoint(format_request(old, proof, log.note(size)))
    return answer.status, answer.body.decode()


def test_first_checkpoint_then_extensions_are_cosigned(witness: Witness, log: Log) -> None:
    status, body = _add(witness, log, 0, 10)
    assert status == 200 and body.startswith("— witness.example/w ")
    assert _add(witness, log, 10, 1000)[0] == 200
    # the same tree again (fresh timestamp) is fine: old size = its size, empty proof
    assert _add(witness, log, 1000, 1000)[0] == 200


def test_wrong_old_size_answers_409_with_the_size_held(witness: Witness, log: Log) -> None:
    _add(witness, log, 0, 10)
    answer = witness.add_checkpoint(format_request(0, [], log.note(20)))
    assert (answer.status, answer.body, answer.content_type) == (409, b"10\n", "text/x.tlog.size")


def test_a_smaller_tree_after_a_larger_one_is_never_cosigned(witness: Witness, log: Log) -> None:
    _add(witness, log, 0, 500)
    for old in (0, 100, 500):
        answer = witness.add_checkpoint(format_request(old, [], log.note(100)))
        assert answer.status in (400, 409)


def test_a_bad_consistency_proof_answers_422_and_is_kept_as_evidence(
    witness: Witness, log: Log
) -> None:
    _add(witness, log, 0, 10)
    forged = Log(log.signer, Levels([b"\xee" * 32] * 1000))
    proof = consistency_proof(forged.levels, 10, 1000)
    answer = witness.add_checkpoint(format_request(10, proof, forged.note(1000)))
    assert answer.status == 422
    assert [status for _, status, _, _ in witness.state.evidence()] == [422]
    assert _add(witness, log, 10, 11)[0] == 200  # the honest log goes on


def test_the_same_size_with_another_root_is_a_conflict(witness: Witness, log: Log) -> None:
    _add(witness, log, 0, 10)
    answer = witness.add_checkpoint(format_request(10, [], log.note(10, root=b"\x01" * 32)))
    assert answer.status == 409


@pytest.mark.parametrize(
    ("mutate", "status"),
    [
        (lambda req: req.replace(b"old 0\n", b"old 00\n"), 400),
        (lambda req: req.replace(b"old 0\n", b"new 0\n"), 400),
        (lambda req: req.replace(b"\n\n", b"\n", 1), 400),
        (lambda req: b"old 0\n" + b"AAAA\n" * 64 + req[len(b"old 0\n") :], 400),
        (lambda req: b"\xff" + req, 400),
    ],
)
def test_malformed_requests_are_400(
    witness: Witness, log: Log, mutate: object, status: int
) -> None:
    request = format_request(0, [], log.note(10))
    assert callable(mutate)
    assert witness.add_checkpoint(mutate(request)).status == status


def test_unknown_origin_is_404_and_untrusted_key_403(witness: Witness, log: Log) -> None:
    stranger = Log(Signer.generate("log.example/other"), log.levels)
    assert witness.add_checkpoint(format_request(0, [], stranger.note(5))).status == 404
    impostor = Log(Signer.generate(log.signer.name), log.levels)
    assert witness.add_checkpoint(format_request(0, [], impostor.note(5))).status == 403


def test_old_size_above_the_checkpoint_is_400(witness: Witness, log: Log) -> None:
    assert witness.add_checkpoint(format_request(20, [], log.note(10))).status == 400


def test_state_survives_reopening(tmp_path: Path, witness: Witness, log: Log) -> None:
    _add(witness, log, 0, 42)
    witness.state.close()
    reopened = WitnessState(tmp_path / "state.db")
    seen = reopened.seen(log.signer.name)
    assert seen is not None and seen.size == 42 and seen.root == log.levels.root(42)
    reopened.close()
    witness.state = WitnessState(tmp_path / "state.db")  # for the fixture's close


def test_concurrent_requests_never_roll_the_state_back(witness: Witness, log: Log) -> None:
    _add(witness, log, 0, 100)
    results: list[int] = []

    def push(size: int) -> None:
        results.append(_add(witness, log, 100, size)[0])

    threads = [threading.Thread(target=push, args=(s,)) for s in (200, 300, 400, 500)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(200) == 1  # one wins; the others no longer start from 100
    seen = witness.state.seen(log.signer.name)
    assert seen is not None and seen.size in (200, 300, 400, 500)


def test_policy_file_errors_name_the_line() -> None:
    key = Cosigner.generate("w.example/1").key.vkey
    policy = parse_policy(f"# witnesses\nwitness {key} http://127.0.0.1:9/\nquorum 1\n")
    assert policy.quorum == 1 and policy.witnesses[0].url == "http://127.0.0.1:9"
    for bad, where in [
        ("witnes x\n", ":1:"),
        (f"witness {key}\nquorum 2\n", "quorum 2"),
        (f"witness {key} ftp://x\n", ":1:"),
        (f"witness {key}\nwitness {key}\n", ":2:"),
        ("quorum 1\n", "no witness"),
    ]:
        with pytest.raises(BadInput, match=re.escape(where)):
            parse_policy(bad, "policy")


# ---------------------------------------------------------------- a witness in its own process


@dataclass
class WitnessProcess:
    home: Path
    vkey: str
    process: subprocess.Popen[str] | None = None
    url: str = ""

    def start(self, port: int = 0) -> None:
        cmd = [sys.executable, "-m", "cli", "witness", "serve", "--home", str(self.home)]
        self.process = subprocess.Popen(
            [*cmd, "--listen", f"127.0.0.1:{port}"],
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "CLEARANCE_HOME": str(self.home / "not-clearance")},
        )
        assert self.process.stderr is not None
        line = self.process.stderr.readline()
        found = re.search(r"listening on (http://\S+)", line)
        assert found, line
        self.url = found.group(1)

    def kill(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
            if self.process.stderr is not None:
                self.process.stderr.close()
            self.process = None

    def policy(self) -> WitnessPolicy:
        return parse_policy(f"witness {self.vkey} {self.url}\nquorum 1\n")


def _clearance(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "cli", *args], capture_output=True, text=True, check=True
    )
    return done.stdout


@pytest.fixture
def witness_process(tmp_path: Path) -> Iterator[WitnessProcess]:
    home = tmp_path / "witness-home"
    vkey = _clearance("witness", "init", "--home", str(home), "--name", "audit.example/w1").strip()
    w = WitnessProcess(home, vkey)
    yield w
    w.kill()


def _trust(w: WitnessProcess, s: Scenario) -> None:
    _clearance("witness", "trust", "--home", str(w.home), s.signer.verifier.vkey)


def _sync(s: Scenario, policy: WitnessPolicy) -> list[tuple[bool, str]]:
    s.session.commit()  # the scenario's session holds SQLite's write lock while in a transaction
    sessions = make_session_factory(s.session.get_bind())  # type: ignore[arg-type]
    return [(o.ok, o.message) for o in collect(sessions, policy, TreeCache())]


def _verify(s: Scenario, export: Path, policy: WitnessPolicy, *, online: bool = True) -> list[str]:
    observations, notes = fetch_latest(policy, ORIGIN) if online else ([], [])
    report = verify_export(
        export,
        s.signer.verifier.vkey,
        witnesses=WitnessRequirement(policy, observations, notes),
    )
    return [f.code for f in report.findings]


def _witnessed(tmp_path: Path, w: WitnessProcess) -> tuple[Scenario, WitnessPolicy]:
    """The honest story, followed by a running witness that has cosigned its latest checkpoint."""
    s, _ = build(tmp_path)
    _trust(w, s)
    w.start()
    policy = w.policy()
    assert _sync(s, policy)[0][0]
    return s, policy


def _attacker(s: Scenario) -> None:
    """Someone with the database: the append-only triggers are no obstacle."""
    for table in ("audit_entries", "audit_checkpoints", "audit_cosignatures"):
        for action in ("update", "delete"):
            s.session.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_{action}"))
    s.session.commit()


def _truncate(s: Scenario, size: int) -> None:
    _attacker(s)
    for table, column in (
        ("audit_entries", "seq"),
        ("audit_checkpoints", "size"),
        ("audit_cosignatures", "size"),
    ):
        op = ">=" if table == "audit_entries" else ">"
        s.session.execute(text(f"DELETE FROM {table} WHERE {column} {op} :n"), {"n": size})
    hashes = store.leaf_hashes(s.session)
    from clearance.auditlog.tree import RightEdge

    edge = RightEdge.empty()
    for h in hashes:
        edge = edge.append_hash(h)
    s.session.execute(
        text("UPDATE audit_tree_state SET size = :n, edge = :e, last_hash = :h"),
        {"n": size, "e": edge.to_bytes(), "h": hashes[-1]},
    )
    s.session.commit()


@pytest.mark.slow
def test_a_witnessed_log_verifies_and_its_receipt_carries_the_cosignature(
    tmp_path: Path, witness_process: WitnessProcess
) -> None:
    s, _ = build(tmp_path)
    _trust(witness_process, s)
    witness_process.start()
    policy = witness_process.policy()
    assert _sync(s, policy) == [(True, "cosigned")]
    assert _sync(s, policy) == []  # nothing new: not asked again
    export = s.export(tmp_path / "witnessed")
    assert _verify(s, export, policy) == []
    from clearance.auditlog.export import prove_item

    # a later entry of another item is not cosigned yet: the receipt stays on the cosigned
    # checkpoint, which covers every entry of itm_1
    s.add(Event("item.note", actor="an", item_id="itm_2", body={"x": 1}))
    receipt = prove_item(s.session, "itm_1")
    assert str(receipt["checkpoint"]).count("— audit.example/w1 ") == 1

    check = verify_receipt(json.dumps(receipt), s.signer.verifier.vkey, witnesses=policy)
    assert check.witnesses == ("audit.example/w1",)


@pytest.mark.slow
def test_truncating_the_tail_with_its_checkpoints_is_caught(
    tmp_path: Path, witness_process: WitnessProcess
) -> None:
    s, policy = _witnessed(tmp_path, witness_process)
    full = store.size(s.session)
    _truncate(s, full - 3)
    export = s.export(tmp_path / "truncated")
    # self-consistent: without witnesses the export verifies
    report = verify_export(export, s.signer.verifier.vkey)
    assert report.ok
    assert "witness-ahead" in _verify(s, export, policy)
    assert "witness-quorum" in _verify(s, export, policy, online=False)


@pytest.mark.slow
def test_dropping_the_latest_checkpoint_is_said_and_caught(
    tmp_path: Path, witness_process: WitnessProcess
) -> None:
    s, policy = _witnessed(tmp_path, witness_process)
    full = store.size(s.session)
    _attacker(s)
    s.session.execute(text("DELETE FROM audit_checkpoints WHERE size = :n"), {"n": full})
    s.session.commit()
    gap = unsigned_tail(s.session)
    assert gap is not None and f"covers {full - 1}" in gap, gap
    export = s.export(tmp_path / "short")
    assert "witness-ahead" in _verify(s, export, policy)


@pytest.mark.slow
def test_truncating_and_re_signing_with_the_log_key_is_caught(
    tmp_path: Path, witness_process: WitnessProcess
) -> None:
    s, policy = _witnessed(tmp_path, witness_process)
    full = store.size(s.session)
    _truncate(s, full - 2)
    s.add(Event("item.note", actor="attacker", item_id="itm_1", body={"x": 1}))
    s.add(Event("item.note", actor="attacker", item_id="itm_1", body={"x": 2}))
    s.add(Event("item.note", actor="attacker", item_id="itm_1", body={"x": 3}))
    [(ok, message)] = _sync(s, policy)
    assert not ok and ("rolled back" in message or "rewritten" in message), message
    export = s.export(tmp_path / "rewritten")
    assert verify_export(export, s.signer.verifier.vkey).ok  # the log key alone is fooled
    assert "witness-quorum" in _verify(s, export, policy, online=False)
    assert "witness-fork" in _verify(s, export, policy)


@pytest.mark.slow
def test_a_witness_that_is_down_does_not_stop_the_log_and_is_reported(
    tmp_path: Path, witness_process: WitnessProcess
) -> None:
    s, _ = build(tmp_path)
    _trust(witness_process, s)
    witness_process.start()
    policy = witness_process.policy()
    witness_process.kill()
    s.add(Event("item.note", actor="an", item_id="itm_1", body={"x": 1}))  # appends go on
    [(ok, message)] = _sync(s, policy)
    assert not ok and "unreachable" in message
    export = s.export(tmp_path / "down")
    observations, notes = fetch_latest(policy, ORIGIN)
    assert observations == [] and notes
    report = verify_export(
        export, s.signer.verifier.vkey, witnesses=WitnessRequirement(policy, observations, notes)
    )
    assert [f.code for f in report.findings] == ["witness-quorum"]
    assert report.notes


@pytest.mark.slow
def test_a_restarted_witness_remembers_what_it_cosigned(
    tmp_path: Path, witness_process: WitnessProcess
) -> None:
    s, _ = build(tmp_path)
    _trust(witness_process, s)
    witness_process.start()
    assert _sync(s, witness_process.policy())[0][0]
    size = store.size(s.session)
    witness_process.kill()  # SIGKILL: no chance to flush anything
    with sqlite3.connect(witness_process.home / "state.db") as db:
        assert db.execute("SELECT size FROM logs").fetchone() == (size,)
    witness_process.start()
    note = store.latest_checkpoint(s.session)
    assert note is not None
    s.session.commit()
    sessions = make_session_factory(s.session.get_bind())  # type: ignore[arg-type]
    with sessions() as session:
        tree = TreeCache().update(session, size)
    from clearance.auditlog.witnessing import witness_one

    outcome, _ = witness_one(witness_process.policy().witnesses[0], note, tree, 0)
    assert outcome.ok  # it answered 409 with its size, the log proved from there


@pytest.mark.slow
def test_a_split_view_gets_only_one_branch_cosigned(
    tmp_path: Path, witness_process: WitnessProcess
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a, _ = build(tmp_path / "a")
    # the same log (same key) shown to a second audience with a different history
    b_engine = make_engine(f"sqlite:///{tmp_path / 'b' / 'log.db'}")
    from clearance.storage.migrate import upgrade

    upgrade(b_engine)
    b = Scenario(tmp_path / "b", a.log, a.signer, make_session_factory(b_engine)())
    b.add(Event("policy.loaded", actor="operator", body={"fork": True}))
    _trust(witness_process, a)
    witness_process.start()
    policy = witness_process.policy()
    assert _sync(a, policy)[0][0]
    [(ok, _message)] = _sync(b, policy)
    assert not ok
    assert _verify(a, a.export(tmp_path / "ea"), policy) == []
    assert {"witness-quorum", "witness-ahead"} <= set(_verify(b, b.export(tmp_path / "eb"), policy))


def test_a_cosignature_for_an_altered_checkpoint_is_a_finding(tmp_path: Path) -> None:
    s, export = build(tmp_path)
    cosigner = Cosigner.generate("audit.example/w9")
    note = (export / "checkpoint").read_text(encoding="utf-8")
    body = split(note)[0]
    checkpoint = parse_body(body)
    wrong = Checkpoint(checkpoint.origin, checkpoint.size, b"\x00" * 32).body()
    forged = cosigner.cosign(wrong, 1)  # a genuine witness line, but over another root
    (export / "checkpoint").write_text(note + forged, encoding="utf-8")
    policy = parse_policy(f"witness {cosigner.key.vkey}\n")
    report = verify_export(export, s.signer.verifier.vkey, witnesses=WitnessRequirement(policy))
    assert [f.code for f in report.findings][:1] == ["witness-cosignature"]
    with pytest.raises(VerificationError):
        from clearance.auditlog.cosignature import verified_cosignatures

        verified_cosignatures(note + forged, [cosigner.key])


@given(st.lists(st.integers(0, 40), min_size=1, max_size=6))
def test_extending_levels_equals_building_them(chunks: list[int]) -> None:
    hashes = [bytes([i % 251]) * 32 for i in range(sum(chunks))]
    levels = Levels([])
    done = 0
    for n in chunks:
        levels.extend(b"".join(hashes[done : done + n]))
        done += n
        whole = Levels(hashes[:done])
        assert levels.size == whole.size
        for size in range(1, done + 1):
            assert levels.root(size) == whole.root(size)


def test_the_background_collector_cosigns_new_checkpoints(tmp_path: Path) -> None:
    from clearance.auditlog.witnessing import witnessing_in_background
    from clearance.settings import Settings
    from clearance.witness.server import WitnessServer

    s, _ = build(tmp_path)
    s.session.commit()
    cosigner = Cosigner.generate("audit.example/w2")
    state = WitnessState(tmp_path / "w2.db")
    server = WitnessServer(
        ("127.0.0.1", 0), Witness(cosigner, {ORIGIN: [s.signer.verifier]}, state)
    )
    server.start_background()
    policy_file = tmp_path / "witnesses.txt"
    policy_file.write_text(f"witness {cosigner.key.vkey} {server.url}\n")
    settings = Settings(
        home=tmp_path / "home",
        database_url=f"sqlite:///{tmp_path / 'log.db'}",
        witness_policy=policy_file,
    )
    try:
        with witnessing_in_background(settings, interval=0.05):
            s.add(Event("item.note", actor="an", item_id="itm_1", body={"x": 1}))
            size = store.size(s.session)
            s.session.commit()
            for _ in range(200):
                seen = state.seen(ORIGIN)
                if seen is not None and seen.size == size:
                    break
                threading.Event().wait(0.05)
        assert seen is not None and seen.size == size
    finally:
        server.shutdown()
        server.server_close()
        state.close()


def test_the_installation_check_reports_missing_witnesses_and_an_unsigned_tail(
    tmp_path: Path,
) -> None:
    from clearance.auditlog.selfcheck import verify_installation
    from clearance.settings import Settings

    s, _ = build(tmp_path)
    absent = Cosigner.generate("audit.example/w3")
    policy_file = tmp_path / "witnesses.txt"
    policy_file.write_text(f"witness {absent.key.vkey} http://127.0.0.1:9\n")  # nobody listens
    settings = Settings(home=tmp_path / "h", database_url="sqlite://", witness_policy=policy_file)
    report = verify_installation(s.session, settings, s.signer.verifier.vkey)
    assert [f.code for f in report.findings] == ["witness-quorum"]
    assert any("could not be asked" in note for note in report.notes)
    _attacker(s)
    s.session.execute(
        text("DELETE FROM audit_checkpoints WHERE size = :n"), {"n": store.size(s.session)}
    )
    plain = Settings(home=tmp_path / "h", database_url="sqlite://")
    report = verify_installation(s.session, plain, s.signer.verifier.vkey)
    assert [f.code for f in report.findings][:1] == ["unsigned-tail"]
