"""The log's private key file: a C2SP skey line, or that line sealed under a passphrase."""

from __future__ import annotations

import os
from pathlib import Path

from clearance.auditlog.note import Signer, parse_skey
from clearance.auditlog.sealed import FORMAT, seal, unseal
from clearance.errors import ConfigurationError, VerificationError


def write_private(path: Path, signer: Signer, passphrase: str | None) -> None:
    """Write ``signer`` to ``path`` (0600, created exclusively), sealed if a passphrase is set."""
    body = (
        signer.skey
        if not passphrase
        else seal(signer.skey.encode(), passphrase, context=signer.verifier.vkey)
    )
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(body + "\n")


def is_sealed(path: Path) -> bool:
    return FORMAT in path.read_text(encoding="utf-8")


def reseal(path: Path, passphrase: str) -> None:
    """Seal an unsealed key file in place (written beside, then renamed over it)."""
    signer = read_private(path, None)
    pending = path.with_name(path.name + ".sealing")
    pending.unlink(missing_ok=True)
    write_private(pending, signer, passphrase)
    if read_private(pending, passphrase) != signer:
        raise ConfigurationError(f"sealing {path} failed; the key was left as it was")
    pending.replace(path)


def read_private(path: Path, passphrase: str | None, *, require_sealed: bool = False) -> Signer:
    try:
        raw = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise ConfigurationError(f"no log key at {path}; run `clearance init` first") from None
    if path.stat().st_mode & 0o077:
        raise ConfigurationError(f"{path} is readable by others; run `chmod 600 {path}`")
    if raw.startswith("PRIVATE+KEY+"):
        if require_sealed:
            raise ConfigurationError(
                f"the log key at {path} is not encrypted, which production refuses: set "
                "CLEARANCE_LOG_KEY_PASSPHRASE_FILE (or CLEARANCE_LOG_KEY_PASSPHRASE) and run "
                "`clearance init` to seal it, or use a signing helper (CLEARANCE_LOG_SIGNER)"
            )
        return parse_skey(raw)
    if FORMAT not in raw:
        raise ConfigurationError(f"{path} is neither a private key nor a sealed key")
    if not passphrase:
        raise ConfigurationError(
            f"{path} is sealed; set CLEARANCE_LOG_KEY_PASSPHRASE_FILE (or "
            "CLEARANCE_LOG_KEY_PASSPHRASE) to unlock it"
        )
    try:
        return parse_skey(unseal(raw, passphrase).decode("utf-8"))
    except VerificationError:
        raise ConfigurationError(
            f"CLEARANCE_LOG_KEY_PASSPHRASE does not unlock {path}; check the passphrase"
        ) from None


def write_public(path: Path, vkey: str) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(vkey + "\n", encoding="utf-8")
    tmp.replace(path)
