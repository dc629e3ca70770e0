"""Log key life cycle: create at init, open for the runtime, rotate with a doubly signed entry."""

from __future__ import annotations

import contextlib
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import sessionmaker

from clearance.auditlog.entry import format_time
from clearance.auditlog.keyfile import is_sealed, read_private, reseal, write_private, write_public
from clearance.auditlog.note import Signer
from clearance.auditlog.note import sign as sign_note
from clearance.auditlog.store import AuditLog
from clearance.errors import ConfigurationError
from clearance.events import Event
from clearance.settings import Mode, Settings, generate_secret_key

ROTATION_HEADER = "clearance.log-key-rotation.v1"


def _paths(settings: Settings) -> tuple[Path, Path]:
    return settings.keys_dir / "log.key", settings.keys_dir / "log.vkey"


def _passphrase(settings: Settings) -> str | None:
    return settings.log_key_secret()


def init_log(settings: Settings) -> str:
    """Create the log key under ``home/keys`` if missing (0600, sealed under the passphrase) and
    return the public vkey. In embedded mode a passphrase is generated under ``home/secrets``
    when none is configured, and a key found unsealed is sealed in place."""
    if settings.log_signer is not None:
        from clearance.auditlog.remotesigner import RemoteSigner

        remote = RemoteSigner.connect(settings.log_signer, settings.log_origin)
        remote.close()  # init only asks the helper for its key
        return remote.verifier.vkey
    private, public = _paths(settings)
    if not private.exists() and _log_in_database(settings):
        raise ConfigurationError(
            f"the database already holds an audit log, signed by a key that is not in "
            f"{settings.keys_dir}; a new key would sign its checkpoints with another key "
            "and the log would no longer verify. Install the installation's log key here "
            "(copy keys/log.key and keys/log.vkey from the machine that ran `clearance "
            "init` first, mode 0600; README 'Scale path') and run this again"
        )
    if settings.mode is Mode.EMBEDDED and not (
        settings.log_key_passphrase or settings.log_key_passphrase_file
    ):
        generate_secret_key(settings.home, "log_key_passphrase")
    passphrase = _passphrase(settings)
    if not private.exists():
        signer = Signer.generate(settings.log_origin)
        write_private(private, signer, passphrase)
    elif passphrase and not is_sealed(private):
        reseal(private, passphrase)
    signer = read_private(private, passphrase, require_sealed=settings.mode is Mode.PRODUCTION)
    if signer.name != settings.log_origin:
        raise ConfigurationError(
            f"the log key at {private} is for origin {signer.name!r}, not "
            f"{settings.log_origin!r}; set CLEARANCE_LOG_ORIGIN={signer.name}"
        )
    vkey = signer.verifier.vkey
    if not public.exists() or public.read_text(encoding="utf-8").strip() != vkey:
        write_public(public, vkey)
    return vkey


def _log_in_database(settings: Settings) -> bool:
    """Whether the configured database already holds audit-log entries (a second machine of
    the scale path, or a home whose keys were lost). A database not created yet holds none."""
    from sqlalchemy import inspect, make_url, select

    from clearance.auditlog.models import tree_state
    from clearance.storage.db import make_engine

    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and not (url.database and Path(url.database).is_file()):
        return False
    engine = make_engine(settings.database_url)
    try:
        if not inspect(engine).has_table(tree_state.name):
            return False
        with engine.connect() as connection:
            return bool(connection.execute(select(tree_state.c.size)).scalar())
    finally:
        engine.dispose()


def open_log(settings: Settings) -> AuditLog:
    """The runtime's event sink, signing with the log key from ``home/keys/log.key`` (sealed:
    production refuses an unsealed key), or through the signing helper of
    ``CLEARANCE_LOG_SIGNER``."""
    if settings.log_signer is not None:
        from clearance.auditlog.remotesigner import RemoteSigner

        return AuditLog(
            settings.log_origin, [RemoteSigner.connect(settings.log_signer, settings.log_origin)]
        )
    private, _ = _paths(settings)
    signer = read_private(
        private, _passphrase(settings), require_sealed=settings.mode is Mode.PRODUCTION
    )
    return AuditLog(settings.log_origin, [signer])


def rotation_statement(origin: str, old_vkey: str, new_vkey: str, now: datetime) -> str:
    return (
        f"{ROTATION_HEADER}\norigin {origin}\nold {old_vkey}\nnew {new_vkey}\n"
        f"time {format_time(now)}\n"
    )


def rotate_log_key(
    settings: Settings, sessions: sessionmaker[Any], *, actor: str | None, now: datetime
) -> str:
    """Replace the log key: a ``log.key_rotated`` entry signed by both keys, then the new files.

    The new key is written beside the old one before the commit and moved into place after it,
    so a failed commit leaves the old key in force.
    """
    if settings.log_signer is not None:
        raise ConfigurationError(
            "the log key is held by the signing helper (CLEARANCE_LOG_SIGNER); rotate it there"
        )
    private, public = _paths(settings)
    old = read_private(private, _passphrase(settings))
    new = Signer.generate(settings.log_origin)
    pending = private.with_name("log.key.next")
    with contextlib.suppress(FileNotFoundError):
        pending.unlink()
    write_private(pending, new, _passphrase(settings))
    statement = sign_note(
        rotation_statement(settings.log_origin, old.verifier.vkey, new.verifier.vkey, now),
        [old, new],
    )
    event = Event(
        "log.key_rotated",
        actor=actor,
        body={
            "old_vkey": old.verifier.vkey,
            "new_vkey": new.verifier.vkey,
            "statement": statement,
        },
    )
    try:
        with sessions() as session:
            AuditLog(settings.log_origin, [old, new]).append(session, [event], now=now)
            session.commit()
    except BaseException:
        pending.unlink()
        raise
    pending.replace(private)
    write_public(public, new.verifier.vkey)
    return new.verifier.vkey
