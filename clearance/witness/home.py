"""A witness's home folder: ``witness.key`` (0600), ``witness.vkey``, ``logs`` (the log vkeys it
trusts, one per line; a log's origin is its key name) and ``state.db``. Nothing here reads
Clearance's settings or database: the witness belongs to the auditor."""

from __future__ import annotations

import os
from pathlib import Path

from clearance.auditlog.cosignature import Cosigner, parse_cosigner_skey
from clearance.auditlog.note import Verifier, parse_vkey
from clearance.errors import BadInput, ConfigurationError


def _key_path(home: Path) -> Path:
    return home / "witness.key"


def init_home(home: Path, name: str) -> str:
    """Create the witness key under ``home`` if missing; return its cosignature vkey."""
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = _key_path(home)
    if not path.exists():
        cosigner = Cosigner.generate(name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(cosigner.skey + "\n")
    cosigner = load_cosigner(home)
    if cosigner.name != name:
        raise ConfigurationError(
            f"the witness at {home} is named {cosigner.name!r}, not {name!r}; keep its name"
        )
    (home / "witness.vkey").write_text(cosigner.key.vkey + "\n", encoding="utf-8")
    (home / "logs").touch()
    return cosigner.key.vkey


def load_cosigner(home: Path) -> Cosigner:
    path = _key_path(home)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigurationError(
            f"no witness key at {path}; run `clearance witness init --home {home} --name NAME`"
        ) from None
    if path.stat().st_mode & 0o077:
        raise ConfigurationError(f"{path} is readable by others; run `chmod 600 {path}`")
    return parse_cosigner_skey(raw)


def trust_log(home: Path, vkey: str) -> Verifier:
    """Add a log's vkey to ``home/logs`` (idempotent)."""
    verifier = parse_vkey(vkey)
    known = {v.vkey for v in _read_logs(home)}
    if verifier.vkey not in known:
        with (home / "logs").open("a", encoding="utf-8") as handle:
            handle.write(verifier.vkey + "\n")
    return verifier


def _read_logs(home: Path) -> list[Verifier]:
    path = home / "logs"
    if not path.exists():
        return []
    keys = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            keys.append(parse_vkey(line))
        except BadInput as exc:
            raise ConfigurationError(f"{path}:{number}: {exc}") from None
    return keys


def load_logs(home: Path) -> dict[str, list[Verifier]]:
    """Trusted log keys by origin."""
    logs: dict[str, list[Verifier]] = {}
    for key in _read_logs(home):
        logs.setdefault(key.name, []).append(key)
    if not logs:
        raise ConfigurationError(
            f"the witness at {home} trusts no log; add one with "
            f"`clearance witness trust --home {home} LOG_VKEY`"
        )
    return logs
