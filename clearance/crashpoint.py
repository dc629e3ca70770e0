"""Test seam: die at a named step, for the crash-recovery tests.

``crash_point(name)`` does nothing unless the environment says ``CLEARANCE_CRASH_POINT=<name>``
*and* ``CLEARANCE_ENV=test``; then it SIGKILLs the whole process tree at once (no ``finally``
block, no flush, no atexit: what a power cut or ``kill -9`` of the pipeline leaves): the process
that started this one when it is a pipeline child (``CLEARANCE_PARENT_PID``, set by
``flows.server``; the other children die with it, ``flows.supervise``), then this process's
own process group.
``tests/flows/test_crash_recovery.py`` sets it in a child started in a session of its own,
restarts, and checks that every approved item is published exactly once.

Every name a caller may pass is listed in ``POINTS``; an unknown name is a programming error.
"""

from __future__ import annotations

import os
import signal

from clearance.settings import load_internal_settings

#: the named steps, in the order an item meets them
POINTS = frozenset(
    {
        "review.screened",  # screening done, nothing recorded yet
        "review.committed",  # the review and its log entries committed
        "signoff.signed",  # the statement signed, the decision not yet committed
        "signoff.committed",  # the last sign-off committed, publication not started
        "publish.claimed",  # the publication row committed as pending
        "channel.staged",  # a file channel's new folder written beside the live one
        "channel.written",  # the channel holds the release (the page is live)
        "publish.read_back",  # read back, the completion not yet committed
        "publish.completed",  # the completion and its log entry committed
        "recall.claimed",  # the recall recorded as started, nothing removed yet
        "recall.removed",  # taken down from the channels, the recall not yet completed
    }
)


def crash_point(name: str) -> None:
    """SIGKILL the whole process group here when the crash tests ask for ``name``."""
    if name not in POINTS:
        raise ValueError(f"unknown crash point {name!r}; add it to clearance.crashpoint.POINTS")
    internal = load_internal_settings()
    if internal.crash_point != name or not internal.test_mode:
        return
    parent = internal.parent_pid
    try:
        if parent is not None and parent == os.getppid():
            os.kill(parent, signal.SIGKILL)
        os.killpg(os.getpgid(0), signal.SIGKILL)
    finally:
        os.kill(os.getpid(), signal.SIGKILL)
