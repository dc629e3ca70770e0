"""Why a channel publication failed, as a stable code the adapters translate.

A failed channel is recorded on its publication row (``failed``, ``error_code``, ``error``):
the item page shows it, the item's other channels are published all the same, the dispatcher
tries it again after ``FAILED_RETRY`` seconds and an administrator may retry it at once.
"""

from __future__ import annotations

from enum import StrEnum

from clearance.errors import ClearanceError, PolicyRefusal
from clearance.publishing.webhook import WebhookError
from clearance.services.channels import ChannelNotConfigured

#: seconds before the dispatcher offers an item with a failed channel again
FAILED_RETRY = 900.0
#: the longest error text kept on a publication row
MAX_ERROR = 1000


class FailureCode(StrEnum):
    #: the channel lacks its configuration (``registry.missing_configuration`` says what);
    #: nothing was written
    NOT_CONFIGURED = "not_configured"
    #: the channel could not be reached (network error, timeout, HTTP 5xx after its retries)
    UNREACHABLE = "unreachable"
    #: the channel answered and refused the delivery (HTTP 4xx: key, receiver)
    REFUSED = "refused"
    #: writing the files failed (disk full, permissions)
    WRITE_FAILED = "write_failed"
    #: anything else the channel raised
    ERROR = "error"


#: the failures a channel's write, read-back or adapter raises; anything else is a bug
CHANNEL_FAILURES: tuple[type[BaseException], ...] = (ClearanceError, OSError)


def failure_code(exc: BaseException) -> FailureCode:
    """The code for an exception a channel raised."""
    if isinstance(exc, ChannelNotConfigured):
        return FailureCode.NOT_CONFIGURED
    if isinstance(exc, WebhookError | TimeoutError | ConnectionError):
        return FailureCode.UNREACHABLE
    if isinstance(exc, PolicyRefusal):
        return FailureCode.REFUSED
    if isinstance(exc, OSError):
        return FailureCode.WRITE_FAILED
    return FailureCode.ERROR


def failure_text(exc: BaseException) -> str:
    """The exception as kept on the row and in the log (never a key: no adapter puts one in
    a message)."""
    message = exc.message if isinstance(exc, ClearanceError) else f"{type(exc).__name__}: {exc}"
    return message[:MAX_ERROR]
