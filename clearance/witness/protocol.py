"""The tlog-witness ``add-checkpoint`` rules (c2sp.org/tlog-witness), independent of HTTP.

Request body: ``old <size>\\n``, zero to 63 base64 consistency-proof lines, an empty line, then
the signed checkpoint. Answers, in the order the spec checks them:

- 400 malformed request, or old size above the checkpoint's size;
- 404 unknown origin; 403 no signature by a trusted log key;
- 409 old size is not the size this witness cosigned (body: that size, ``text/x.tlog.size``),
  or the same size with another root;
- 422 the consistency proof does not verify;
- 200 one ``cosignature/v1`` line, after the new state is stored.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from clearance.auditlog.checkpoint import Checkpoint, parse_body
from clearance.auditlog.cosignature import Cosigner
from clearance.auditlog.note import Verifier, open_note, split
from clearance.auditlog.proof import verify_consistency
from clearance.auditlog.witnessrequest import SIZE_TYPE, Request, parse_request
from clearance.errors import BadInput, VerificationError
from clearance.witness.state import Seen, SizeConflict, WitnessState

TEXT_TYPE = "text/plain; charset=utf-8"


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes
    content_type: str = TEXT_TYPE


class Witness:
    """Cosigns checkpoints of the logs it trusts, never two inconsistent ones."""

    def __init__(
        self,
        cosigner: Cosigner,
        logs: Mapping[str, Sequence[Verifier]],
        state: WitnessState,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.cosigner = cosigner
        self.logs = {origin: list(keys) for origin, keys in logs.items()}
        self.state = state
        self.clock = clock

    def add_checkpoint(self, body: bytes) -> Answer:
        try:
            request = parse_request(body)
            text, _ = split(request.note)
            checkpoint = parse_body(text)
        except BadInput as exc:
            return Answer(400, f"{exc}\n".encode())
        keys = self.logs.get(checkpoint.origin)
        if keys is None:
            return Answer(404, f"unknown log origin {checkpoint.origin!r}\n".encode())
        try:
            open_note(request.note, keys)
        except (VerificationError, BadInput) as exc:
            return Answer(403, f"the checkpoint is not signed by a trusted key: {exc}\n".encode())
        if request.old_size > checkpoint.size:
            return Answer(
                400, f"old size {request.old_size} is above the size {checkpoint.size}\n".encode()
            )
        return self._advance(request, checkpoint, body)

    def _advance(self, request: Request, checkpoint: Checkpoint, body: bytes) -> Answer:
        def verify(seen: Seen | None) -> None:
            if request.old_size == 0:
                if request.proof:
                    raise VerificationError(
                        "the proof must be empty when the old size is 0",
                        code="proof.not_empty",
                        params={"hashes": len(request.proof)},
                    )
                return
            assert seen is not None  # old_size matched a stored, non-zero size
            verify_consistency(
                request.old_size, checkpoint.size, seen.root, checkpoint.root, request.proof
            )

        def cosign() -> tuple[str, int]:
            now = int(self.clock())
            return self.cosigner.cosign(checkpoint.body(), now), now

        try:
            line = self.state.advance(
                checkpoint.origin,
                request.old_size,
                checkpoint.size,
                checkpoint.root,
                request.note,
                verify,
                cosign,
            )
        except SizeConflict as conflict:
            self._evidence(checkpoint, 409, conflict.reason, body)
            return Answer(409, f"{conflict.size}\n".encode(), SIZE_TYPE)
        except VerificationError as exc:
            self._evidence(checkpoint, 422, str(exc), body)
            return Answer(422, f"the consistency proof does not verify: {exc}\n".encode())
        return Answer(200, line.encode())

    def _evidence(self, checkpoint: Checkpoint, status: int, reason: str, body: bytes) -> None:
        request = body.decode("utf-8", "replace")
        self.state.keep_evidence(checkpoint.origin, status, reason, request, int(self.clock()))

    def latest(self, origin: str) -> Answer:
        """The latest cosigned checkpoint of ``origin`` with this witness's cosignature (for
        auditors: a log that shows them a smaller or different tree is caught)."""
        seen = self.state.seen(origin)
        if seen is None:
            return Answer(404, f"no checkpoint cosigned for {origin!r}\n".encode())
        return Answer(200, (seen.checkpoint + seen.cosignature).encode())
