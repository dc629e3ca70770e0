"""The log key at rest and in use: sealed by default, refused unsealed in production, and kept in
a separate signing helper that signs only growing checkpoints of its own origin."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from clearance.auditlog import store
from clearance.auditlog.checkpoint import Checkpoint, open_checkpoint
from clearance.auditlog.keyfile import write_private
from clearance.auditlog.note import Signer
from clearance.auditlog.remotesigner import RemoteSigner
from clearance.auditlog.sealed import FORMAT
from clearance.auditlog.setup import init_log, open_log
from clearance.auditlog.signerd import SigningHelper, SigningServer, SigningState
from clearance.errors import ConfigurationError
from clearance.events import Event
from clearance.settings import Mode, Settings
from clearance.storage.db import make_engine, make_session_factory
from clearance.storage.migrate import upgrade

ORIGIN = "test.clearance.local/log"


def _settings(tmp_path: Path, **changes: object) -> Settings:
    base = Settings(
        home=tmp_path / "home",
        database_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
        log_origin=ORIGIN,
    )
    return base.with_overrides(**changes)


def test_embedded_init_seals_the_key_under_a_generated_passphrase(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    vkey = init_log(settings)
    key = settings.keys_dir / "log.key"
    assert FORMAT in key.read_text() and "PRIVATE+KEY" not in key.read_text()
    secret = settings.home / "secrets" / "log_key_passphrase"
    assert secret.stat().st_mode & 0o777 == 0o600
    assert open_log(settings).verifier.vkey == vkey


def test_an_unsealed_key_of_an_older_home_is_sealed_by_init(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    signer = Signer.generate(ORIGIN)
    write_private(settings.keys_dir / "log.key", signer, None)
    assert init_log(settings) == signer.verifier.vkey
    assert FORMAT in (settings.keys_dir / "log.key").read_text()
    assert open_log(settings).verifier.vkey == signer.verifier.vkey


def test_production_refuses_an_unsealed_key(tmp_path: Path) -> None:
    test_mode = _settings(tmp_path, mode=Mode.TEST)
    init_log(test_mode)  # test mode keeps a plain key (fast fixtures)
    assert "PRIVATE+KEY" in (test_mode.keys_dir / "log.key").read_text()
    production = _settings(tmp_path, mode=Mode.PRODUCTION)
    with pytest.raises(ConfigurationError, match="not encrypted, which production refuses"):
        open_log(production)


def test_production_reads_the_passphrase_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "elsewhere" / "passphrase"
    secret.parent.mkdir()
    secret.write_text("a long passphrase kept off the database host\n")
    secret.chmod(0o600)
    settings = _settings(tmp_path, mode=Mode.PRODUCTION, log_key_passphrase_file=secret)
    vkey = init_log(settings)
    assert FORMAT in (settings.keys_dir / "log.key").read_text()
    assert open_log(settings).verifier.vkey == vkey
    secret.chmod(0o644)
    with pytest.raises(ConfigurationError, match="readable by others"):
        open_log(settings)
    missing = _settings(tmp_path, mode=Mode.PRODUCTION, log_key_passphrase_file=tmp_path / "no")
    with pytest.raises(ConfigurationError, match="cannot be read"):
        open_log(missing)


# ---------------------------------------------------------------- the signing helper


@pytest.fixture
def helper(tmp_path: Path) -> Iterator[tuple[str, Signer, SigningState]]:
    signer = Signer.generate(ORIGIN)
    state = SigningState(tmp_path / "signer")
    socket_path = tmp_path / "signer.sock"
    server = SigningServer(socket_path, SigningHelper(signer, state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"unix:{socket_path}", signer, state
    server.shutdown()
    server.server_close()


def _body(size: int, root: bytes = b"\x07" * 32, origin: str = ORIGIN) -> bytes:
    return Checkpoint(origin, size, root).body().encode()


def test_the_helper_signs_only_growing_checkpoints_of_its_origin(
    helper: tuple[str, Signer, SigningState],
) -> None:
    address, signer, state = helper
    remote = RemoteSigner.connect(address, ORIGIN)
    assert remote.verifier == signer.verifier
    assert signer.verifier.verify(_body(5), remote.sign(_body(5)))
    remote.sign(_body(5, b"\x08" * 32))  # a rolled-back transaction may re-sign its size
    assert state.size == 5
    with pytest.raises(ConfigurationError, match="below 5"):
        remote.sign(_body(4))
    with pytest.raises(ConfigurationError, match="only checkpoint bodies"):
        remote.sign(b"approve item itm_1\n")
    with pytest.raises(ConfigurationError, match="origin"):
        remote.sign(_body(9, origin="other.example/log"))
    journal = state.journal.read_text().splitlines()
    assert [line.split()[0] for line in journal] == ["5", "5"]
    remote.close()
    with pytest.raises(ConfigurationError, match="not the log origin"):
        RemoteSigner.connect(address, "other.example/log")


def test_the_log_appends_through_the_helper_and_fails_closed_without_it(
    tmp_path: Path, helper: tuple[str, Signer, SigningState]
) -> None:
    address, signer, _ = helper
    settings = _settings(tmp_path, log_signer=address)
    assert init_log(settings) == signer.verifier.vkey
    assert not (settings.keys_dir / "log.key").exists()  # no key on this host
    engine = make_engine(settings.database_url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    log = open_log(settings)
    with sessions() as session:
        log.append(session, [Event("policy.loaded", actor="t", body={})], now=datetime.now(UTC))
        session.commit()
        note = store.latest_checkpoint(session)
    assert note is not None
    assert open_checkpoint(note, [signer.verifier], origin=ORIGIN).checkpoint.size == 1
    log.close()
    engine.dispose()
    down = _settings(tmp_path, log_signer=f"unix:{tmp_path / 'nobody.sock'}")
    with pytest.raises(ConfigurationError, match="cannot be reached"):
        open_log(down)


@pytest.mark.slow
def test_serve_signer_runs_as_its_own_process(tmp_path: Path) -> None:
    signer = Signer.generate(ORIGIN)
    key = tmp_path / "log.key"
    write_private(key, signer, "passphrase of the helper")
    socket_path = tmp_path / "s.sock"
    env = {**os.environ, "CLEARANCE_LOG_KEY_PASSPHRASE": "passphrase of the helper"}
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", "keys", "serve-signer", "--key", str(key),
         "--socket", str(socket_path), "--state", str(tmp_path / "state")],
        env=env, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stderr is not None
        ready = process.stderr.readline()  # printed once the socket is bound
        assert "signing checkpoints of" in ready, ready
        remote = RemoteSigner.connect(f"unix:{socket_path}", ORIGIN)
        assert signer.verifier.verify(_body(1), remote.sign(_body(1)))
        assert socket_path.stat().st_mode & 0o077 == 0
        remote.close()
    finally:
        process.terminate()
        process.wait(10)
        if process.stderr is not None:
            process.stderr.close()


def test_init_on_a_second_home_refuses_to_make_a_second_key_for_a_log(tmp_path: Path) -> None:
    """The scale path: a worker machine's home shares the database with the first one. A fresh
    key there would sign the same log's checkpoints with another key (the export would no
    longer verify): init refuses and says to install the installation's key."""
    (tmp_path / "a").mkdir()
    first = _settings(tmp_path / "a")
    engine = make_engine(first.database_url)
    upgrade(engine)
    engine.dispose()
    vkey = init_log(first)
    log = open_log(first)
    sessions = make_session_factory(make_engine(first.database_url))
    with sessions() as session:
        log.append(session, [Event("test.event", actor="t", body={})], now=datetime.now(UTC))
        session.commit()
    second = first.with_overrides(home=tmp_path / "b" / "home")
    with pytest.raises(ConfigurationError, match="already holds an audit log"):
        init_log(second)
    assert not (second.keys_dir / "log.key").exists()
    # with the installation's key installed, init accepts the second home
    second.keys_dir.mkdir(parents=True)
    (second.home / "secrets").mkdir()
    for name in ("keys/log.key", "keys/log.vkey", "secrets/log_key_passphrase"):
        shutil.copy2(first.home / name, second.home / name)  # the modes too (0600)
    assert init_log(second) == vkey
