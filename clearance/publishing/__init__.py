"""Publication channels behind one small interface, and exactly-once publish and recall.

Public API: ``publish(rt, item_id, channel)``, ``publish_all(rt, item_id)``,
``recall(rt, item_id, *, actor, reason)``, ``publication_status(rt, item_id)``,
``check_release(rt, item_id, channel=None) -> Release`` (the release-point check),
``ChannelAdapter`` (the Protocol) and ``adapter_for(rt, channel)``; a failed channel is
recorded (``FailureCode``) and ``retry(rt, item_id, channel, *, actor)`` tries it again;
``missing_configuration`` / ``configured_channels`` say which channels cannot publish yet.
"""

from clearance.publishing.adapter import ChannelAdapter, ReadBack
from clearance.publishing.failures import FailureCode
from clearance.publishing.models import Publication, PublicationStatus
from clearance.publishing.registry import adapter_for
from clearance.publishing.release import Release, ReleasePart, check_release
from clearance.publishing.service import (
    FailedPublication,
    NothingToRetry,
    PublicationOutcome,
    PublicationView,
    failed_publications,
    item_publications,
    publication_status,
    publish,
    publish_all,
    publish_each,
    recall,
    retry,
)
from clearance.services.channels import (
    ChannelNotConfigured,
    Missing,
    MissingSetting,
    UnconfiguredChannelChosen,
    configured_channels,
    missing_configuration,
)

__all__ = [
    "ChannelAdapter",
    "ChannelNotConfigured",
    "FailedPublication",
    "FailureCode",
    "Missing",
    "MissingSetting",
    "NothingToRetry",
    "Publication",
    "PublicationOutcome",
    "PublicationStatus",
    "PublicationView",
    "ReadBack",
    "Release",
    "ReleasePart",
    "UnconfiguredChannelChosen",
    "adapter_for",
    "check_release",
    "configured_channels",
    "failed_publications",
    "item_publications",
    "missing_configuration",
    "publication_status",
    "publish",
    "publish_all",
    "publish_each",
    "recall",
    "retry",
]
