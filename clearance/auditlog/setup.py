"""Log key life cycle: create at init, open for the runtime, rotate with a doubly signed entry."""

from __future__ import annotations

import contextlib
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import sessionmaker

from clearance.auditlog.entry import format_time
from clearance.auditlog.keyfile import read_private, write_private, write_public
from clearance.auditlog.note import Signer
from clearance.auditlog.note import sign as sign_note
from clearance.auditlog.store import AuditLog
from clearance.errors import ConfigurationError
from clearance.events import Event
from clearance.settings import Settings

ROTATION_HEADER = "clearance.log-key-rotation.v1"


def _paths(settings: Settings) -> tuple[Path, Path]:
    return settings.keys_dir / "log.key", settings.keys_dir / "log.vkey"


def init_log(settings: Settings) -> str:
    """Create the log key under ``home/keys`` if missing (0600) and return the public vkey."""
    private, public = _paths(settings)
    if not private.exists():
        signer = Signer.generate(settings.log_origin)
        write_private(private, signer, settings.log_key_passphrase)
    signer = read_private(private, settings.log_key_passphrase)
    if signer.name != settings.log_origin:
        raise ConfigurationError(
            f"the log key at {private} is for origin {signer.name!r}, not "
            f"{settings.log_origin!r}; set CLEARANCE_LOG_ORIGIN={signer.name}"
        )
    vkey = signer.verifier.vkey
    if not public.exists() or public.read_text(encoding="utf-8").strip() != vkey:
        write_public(public, vkey)
    return vkey


def open_log(settings: Settings) -> AuditLog:
    """The runtime's event sink, signing with the log key from ``home/keys/log.key``."""
    private, _ = _paths(settings)
    return AuditLog(settings.log_origin, [read_private(private, settings.log_key_passphrase)])


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
    private, public = _paths(settings)
    old = read_private(private, settings.log_key_passphrase)
    new = Signer.generate(settings.log_origin)
    pending = private.with_name("log.key.next")
    with contextlib.suppress(FileNotFoundError):
        pending.unlink()
    write_private(pending, new, settings.log_key_passphrase)
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
