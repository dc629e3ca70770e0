"""``python -m tests.flows.crash_driver``: one life of the pipeline for the crash tests.

Runs what the pipeline's processes run, in one process and without Prefect (the flows only call
these): the review dispatcher, the approvers' decisions (as the web UI records them), the
publication dispatcher, and the recall of every published item whose title starts with
``RECALL_TITLE``, until nothing is left to do. ``CLEARANCE_CRASH_POINT`` makes it die at that
step (``clearance.crashpoint``); the next life finds the work where the last one left it.

``life(env)`` is the same life for a process forked from a server that imported this module
once (the test's ``multiprocessing`` forkserver): a session of its own (the crash point kills
its process group), the environment replaced by ``env``, then ``main``.
"""

from __future__ import annotations

import os
import time

from sqlalchemy import select

from clearance.errors import PolicyRefusal
from clearance.publishing.queue import LEASE, waiting_publications
from clearance.runtime import Runtime
from clearance.services.signoff import decide
from clearance.settings import load_settings
from clearance.storage.models import Item, Revision
from flows.dispatch import Dispatcher, publication_dispatcher
from tests.flows.conftest import PASSWORD
from tests.flows.test_dispatch import InlineBatches
from tests.flows.test_publication_queue import InlinePublish

RECALL_TITLE = "Thu hồi"
APPROVERS = ("hung.le", "quan.vo")


def _items(rt: Runtime, state: str) -> list[tuple[str, str]]:
    with rt.readers() as session:
        rows = session.execute(
            select(Item.id, Revision.title)
            .join(
                Revision, (Revision.item_id == Item.id) & (Revision.number == Item.current_revision)
            )
            .where(Item.state == state)
            .order_by(Item.id)
        ).all()
    return [(str(i), str(t)) for i, t in rows]


def _sign(rt: Runtime) -> bool:
    acted = False
    for item_id, _ in _items(rt, "awaiting_signoff"):
        for approver in APPROVERS:
            try:
                decide(
                    rt, item_id=item_id, approver=approver, password=PASSWORD, decision="approve"
                )
                acted = True
            except PolicyRefusal:  # already decided (an earlier life), or the chain is done
                continue
    return acted


def _recall(rt: Runtime) -> bool:
    from clearance.publishing import recall

    acted = False
    for item_id, title in _items(rt, "published"):
        if title.startswith(RECALL_TITLE):
            recall(rt, item_id, actor="quan.vo", reason="số liệu chưa chính xác")
            acted = True
    return acted


def _drain(dispatcher: Dispatcher) -> bool:
    acted = False
    while dispatcher.run_once() is not None:
        acted = True
    return acted


def _held(rt: Runtime) -> bool:
    """Whether something still waits for publication behind a claim's lease (PostgreSQL: an
    earlier life's claim is left to its lease, as another worker's would be)."""
    with rt.readers() as session:
        return bool(waiting_publications(session, limit=1, lease=0.0))


def main() -> None:
    rt = Runtime.open(load_settings())
    lease = float(os.environ.get("CLEARANCE_PUBLISH_LEASE", str(LEASE)))
    review = Dispatcher(rt, InlineBatches(rt))
    publication = publication_dispatcher(rt, InlinePublish(rt), lease=lease)
    deadline = time.monotonic() + 4 * lease + 30
    while True:
        acted = _drain(review)
        acted = _sign(rt) or acted
        acted = _drain(publication) or acted
        acted = _recall(rt) or acted
        if not acted:
            if not _held(rt) or time.monotonic() > deadline:
                break
            time.sleep(0.25)
    rt.close()


def life(env: dict[str, str]) -> None:
    os.setsid()
    os.environ.clear()
    os.environ.update(env)
    main()


if __name__ == "__main__":
    main()
