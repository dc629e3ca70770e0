"""The log's side of the signing helper (:mod:`clearance.auditlog.signerd`): a note signer that
asks the helper over its Unix socket. A refusal or an unreachable helper raises, so the append
and its transaction fail: nothing is written without its signed checkpoint."""

from __future__ import annotations

import socket
import threading

from clearance.auditlog.note import Verifier, parse_vkey
from clearance.auditlog.signerd import frame, read_frame
from clearance.errors import BadInput, ConfigurationError


class RemoteSigner:
    def __init__(self, path: str, verifier: Verifier) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self.verifier = verifier
        self.name = verifier.name
        self.key_id = verifier.key_id

    @classmethod
    def connect(cls, address: str, origin: str) -> RemoteSigner:
        """``unix:/path``; the helper's key must be named ``origin``."""
        if not address.startswith("unix:") or len(address) <= len("unix:"):
            raise ConfigurationError(
                f"CLEARANCE_LOG_SIGNER {address!r} is not unix:/path/to/socket"
            )
        probe = cls(address[len("unix:") :], Verifier(origin, bytes(32)))
        answer = probe._ask(b"K")
        try:
            verifier = parse_vkey(answer.decode("utf-8"))
        except (UnicodeDecodeError, BadInput) as exc:
            probe.close()
            raise ConfigurationError(f"the signing helper gave no valid vkey ({exc})") from None
        if verifier.name != origin:
            probe.close()
            raise ConfigurationError(
                f"the signing helper's key is for {verifier.name!r}, not the log origin "
                f"{origin!r}; set CLEARANCE_LOG_ORIGIN={verifier.name}"
            )
        signer = cls(probe._path, verifier)
        signer._sock, probe._sock = probe._sock, None
        return signer

    def _open(self) -> socket.socket:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(10)
        try:
            sock.connect(self._path)
        except OSError as exc:
            sock.close()
            raise ConfigurationError(
                f"the log's signing helper at {self._path} cannot be reached ({exc.strerror}); "
                "start `clearance keys serve-signer` or fix CLEARANCE_LOG_SIGNER"
            ) from None
        return sock

    def _ask(self, request: bytes) -> bytes:
        answer: bytes | None = None
        with self._lock:
            for attempt in (1, 2):
                if self._sock is None:
                    self._sock = self._open()
                try:
                    self._sock.sendall(frame(request))
                    answer = read_frame(self._sock.makefile("rb"))
                except OSError:
                    answer = None
                if answer is not None:
                    break
                self._sock.close()
                self._sock = None
                if attempt == 2:
                    raise ConfigurationError(f"the log's signing helper at {self._path} hung up")
        if answer is None:
            raise ConfigurationError(f"the log's signing helper at {self._path} hung up")
        if not answer.startswith(b"+"):
            reason = answer[1:].decode("utf-8", "replace")
            raise ConfigurationError(f"the log's signing helper refused: {reason}")
        return answer[1:]

    def sign(self, message: bytes) -> bytes:
        return self._ask(b"S" + message)

    def close(self) -> None:
        with self._lock:
            if self._sock is not None:
                self._sock.close()
                self._sock = None
