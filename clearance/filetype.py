"""True file type by libmagic (python-magic), always over the whole bytes."""

from __future__ import annotations

from functools import cache
from typing import Any

from clearance.errors import ConfigurationError

INSTALL_HINT = (
    "libmagic is not installed; install it with `apt-get install libmagic1` "
    "(Debian/Ubuntu), `dnf install file-libs` (Fedora) or `brew install libmagic` (macOS)"
)


@cache
def _magic() -> Any:
    try:
        import magic
    except ImportError as exc:
        raise ConfigurationError(INSTALL_HINT) from exc
    try:
        return magic.Magic(mime=True)
    except Exception as exc:  # magic raises its own error types when libmagic is missing
        raise ConfigurationError(INSTALL_HINT) from exc


def check_libmagic() -> None:
    """Raise ConfigurationError with install instructions when libmagic is unavailable."""
    _magic()


def detect_mime(data: bytes) -> str:
    """The MIME type libmagic sees in ``data`` (all of it, not a truncated buffer)."""
    if not data:
        return "application/x-empty"
    return str(_magic().from_buffer(data))
