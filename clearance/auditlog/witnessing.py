"""The log's side of witnessing: send the latest checkpoint to every witness of the policy with a
consistency proof from the size that witness last cosigned, verify the cosignature it returns
and store it. Runs beside the commit path (``clearance audit witness-sync``, a loop in the
pipeline), never inside it: a slow or absent witness never slows or stops an append.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from clearance.auditlog import store
from clearance.auditlog.checkpoint import parse_body
from clearance.auditlog.cosignature import Cosignature, verified_cosignatures
from clearance.auditlog.models import cosignatures, entries
from clearance.auditlog.note import split
from clearance.auditlog.proof import consistency_proof
from clearance.auditlog.tree import Levels
from clearance.auditlog.witnesspolicy import WitnessPolicy, WitnessSpec
from clearance.auditlog.witnessrequest import SIZE_TYPE, format_request
from clearance.errors import BadInput, VerificationError
from clearance.settings import Settings

Sessions = Callable[[], AbstractContextManager[Session]]
DEFAULT_TIMEOUT = 5.0
#: a witness that has cosigned the latest checkpoint is asked again after this long, so the
#: newest cosignature stays fresh while the log is quiet
DEFAULT_REFRESH_SECONDS = 3600


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one witness said about the latest checkpoint."""

    witness: str
    size: int
    ok: bool
    message: str


class TreeCache:
    """The log's tree, kept in memory and extended with the entries appended since last time."""

    def __init__(self) -> None:
        self.levels = Levels([])

    def update(self, session: Session, size: int) -> Levels:
        if size < self.levels.size:
            # the table shrank: that is tampering; rebuild from what is there now
            self.levels = Levels([])
        if size > self.levels.size:
            rows = session.execute(
                select(entries.c.leaf_hash)
                .where(entries.c.seq >= self.levels.size, entries.c.seq < size)
                .order_by(entries.c.seq)
            ).scalars()
            self.levels.extend(b"".join(bytes(h) for h in rows))
        if self.levels.size != size:
            raise BadInput(f"audit_entries holds {self.levels.size} entries below {size}")
        return self.levels


def last_cosigned(session: Session, witness: str) -> tuple[int, int] | None:
    """(size, timestamp) of the newest cosignature stored for ``witness``."""
    row = session.execute(
        select(cosignatures.c.size, func.max(cosignatures.c.timestamp))
        .where(cosignatures.c.witness == witness)
        .group_by(cosignatures.c.size)
        .order_by(cosignatures.c.size.desc())
        .limit(1)
    ).first()
    return None if row is None else (int(row[0]), int(row[1]))


def cosignature_lines(session: Session, size: int) -> list[str]:
    """The stored cosignature lines for the checkpoint of ``size``, oldest first."""
    rows = session.execute(
        select(cosignatures.c.line).where(cosignatures.c.size == size).order_by(cosignatures.c.id)
    ).scalars()
    return [str(line) for line in rows]


def newest_cosigned_size(session: Session, *, at_least: int) -> int | None:
    """The largest checkpoint size of at least ``at_least`` that some witness cosigned."""
    value = session.execute(
        select(func.max(cosignatures.c.size)).where(cosignatures.c.size >= at_least)
    ).scalar()
    return None if value is None else int(value)


def with_cosignatures(note: str, lines: list[str]) -> str:
    """The checkpoint note with the cosignature lines appended (each witness's newest kept)."""
    if not lines:
        return note
    return note + "".join(dict.fromkeys(lines))


def _post(url: str, body: bytes, timeout: float) -> tuple[int, str, str]:
    parts = urlsplit(url + "/add-checkpoint")
    conn_type = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    connection = conn_type(parts.netloc, timeout=timeout)
    try:
        connection.request(
            "POST", parts.path, body=body, headers={"Content-Type": "text/plain; charset=utf-8"}
        )
        response = connection.getresponse()
        text = response.read(1 << 16).decode("utf-8", "replace")
        return response.status, response.getheader("Content-Type", ""), text
    finally:
        connection.close()


def _ask(
    spec: WitnessSpec, note: str, body: str, size: int, old: int, levels: Levels, timeout: float
) -> tuple[int, str, str]:
    proof = consistency_proof(levels, old, size) if 0 < old < size else []
    return _post(spec.url or "", format_request(old, proof, note), timeout)


def witness_one(
    spec: WitnessSpec,
    note: str,
    levels: Levels,
    old: int,
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> tuple[Outcome, Cosignature | None]:
    """Submit ``note`` to one witness, starting from ``old``; follow one 409 to the size the
    witness holds if that size is ours to prove from. Never raises for the witness's answers."""
    body, _ = split(note)
    size = parse_body(body).size
    if spec.url is None:
        return Outcome(spec.name, size, False, "no URL in the witness policy"), None
    for _attempt in range(2):
        try:
            status, ctype, text = _ask(spec, note, body, size, old, levels, timeout)
        except (OSError, http.client.HTTPException) as exc:
            return Outcome(spec.name, size, False, f"unreachable ({exc})"), None
        if status == 409 and ctype.startswith(SIZE_TYPE):
            held = text.strip()
            if not held.isdigit():
                return Outcome(spec.name, size, False, f"409 with a bad size {held[:20]!r}"), None
            if int(held) > size:
                return (
                    Outcome(
                        spec.name,
                        size,
                        False,
                        f"the witness has cosigned size {held}, larger than this log's {size}: "
                        "the log was truncated or rolled back",
                    ),
                    None,
                )
            if int(held) == old:
                return Outcome(spec.name, size, False, f"409: {text.strip()[:200]}"), None
            old = int(held)
            continue
        if status == 422:
            message = (
                f"the witness refused the consistency proof from size {old}: this log does not "
                "extend the tree it cosigned (the log was rewritten or forked)"
            )
            return Outcome(spec.name, size, False, message), None
        if status != 200:
            return Outcome(spec.name, size, False, f"{status}: {text.strip()[:200]}"), None
        try:
            found = verified_cosignatures(note + text, [spec.key])
        except (BadInput, VerificationError) as exc:
            return Outcome(spec.name, size, False, f"answered with a bad cosignature ({exc})"), None
        if not found:
            return Outcome(
                spec.name, size, False, "answered without a cosignature of its key"
            ), None
        return Outcome(spec.name, size, True, "cosigned"), found[0]
    return Outcome(spec.name, size, False, "the witness's size kept changing"), None


def collect(
    sessions: Sessions,
    policy: WitnessPolicy,
    cache: TreeCache,
    *,
    now: Callable[[], float] = time.time,
    refresh_seconds: int = DEFAULT_REFRESH_SECONDS,
    timeout: float = DEFAULT_TIMEOUT,
) -> list[Outcome]:
    """One round: every witness that has not cosigned the latest checkpoint (or did so longer
    than ``refresh_seconds`` ago) is asked; valid cosignatures are stored."""
    with sessions() as session:
        note = store.latest_checkpoint(session)
        if note is None:
            return []
        size = parse_body(split(note)[0]).size
        levels = cache.update(session, size)
        asks = []
        for spec in policy.witnesses:
            last = last_cosigned(session, spec.name)
            if last is not None and last[0] == size and now() - last[1] < refresh_seconds:
                continue
            asks.append((spec, 0 if last is None or last[0] > size else last[0]))
    outcomes: list[Outcome] = []
    for spec, old in asks:
        outcome, cosignature = witness_one(spec, note, levels, old, timeout=timeout)
        outcomes.append(outcome)
        if cosignature is not None:
            with sessions() as session:
                session.execute(
                    insert(cosignatures).values(
                        witness=cosignature.name,
                        size=size,
                        timestamp=cosignature.timestamp,
                        line=cosignature.line,
                    )
                )
                session.commit()
    return outcomes


def watch(
    sessions: Sessions,
    policy: WitnessPolicy,
    *,
    interval: float,
    stop: Callable[[], bool],
    report: Callable[[Outcome], None],
) -> None:
    """Run :func:`collect` every ``interval`` seconds until ``stop()``; report every outcome."""
    cache = TreeCache()
    while not stop():
        for outcome in collect(sessions, policy, cache):
            report(outcome)
        deadline = time.monotonic() + interval
        while not stop() and time.monotonic() < deadline:
            time.sleep(min(0.2, interval))


@contextlib.contextmanager
def witnessing_in_background(settings: Settings, *, interval: float = 1.0) -> Iterator[None]:
    """While the block runs, a thread sends each new checkpoint to the witnesses of
    ``settings.witness_policy`` (nothing when no policy is set). Refusals are logged as warnings;
    the log goes on without them and the verifier reports the missing cosignatures."""
    if settings.witness_policy is None:
        yield
        return
    from clearance.auditlog.witnesspolicy import load_policy
    from clearance.storage.db import make_engine, make_session_factory

    policy = load_policy(settings.witness_policy)
    engine = make_engine(settings.database_url)
    stopping = threading.Event()
    logger = logging.getLogger("clearance.witness")

    def report(outcome: Outcome) -> None:
        if not outcome.ok:
            logger.warning(
                "witness %s, size %d: %s", outcome.witness, outcome.size, outcome.message
            )

    def run() -> None:
        try:
            watch(make_session_factory(engine), policy, interval=interval,
                  stop=stopping.is_set, report=report)  # fmt: skip
        except Exception:
            logger.exception("the witness collector stopped")

    thread = threading.Thread(target=run, name="witness-collector", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stopping.set()
        thread.join(10)
        engine.dispose()
