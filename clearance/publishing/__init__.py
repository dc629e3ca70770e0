"""Publication channels behind one small interface, and exactly-once publish and recall.

Public API: ``publish(rt, item_id, channel)``, ``publish_all(rt, item_id)``,
``recall(rt, item_id, *, actor, reason)``, ``publication_status(rt, item_id)``,
``check_release(rt, item_id, channel=None) -> Release`` (the release-point check),
``ChannelAdapter`` (the Protocol) and ``adapter_for(rt, channel)``.
"""

from clearance.publishing.adapter import ChannelAdapter, ReadBack
from clearance.publishing.models import Publication, PublicationStatus
from clearance.publishing.registry import adapter_for
from clearance.publishing.release import Release, ReleasePart, check_release
from clearance.publishing.service import (
    PublicationOutcome,
    PublicationView,
    publication_status,
    publish,
    publish_all,
    recall,
)

__all__ = [
    "ChannelAdapter",
    "Publication",
    "PublicationOutcome",
    "PublicationStatus",
    "PublicationView",
    "ReadBack",
    "Release",
    "ReleasePart",
    "adapter_for",
    "check_release",
    "publication_status",
    "publish",
    "publish_all",
    "recall",
]
