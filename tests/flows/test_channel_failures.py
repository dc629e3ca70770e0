"""A channel that fails does not stop the item's other channels: the failure is recorded with
its reason, logged, notified, held back from the dispatcher for a while, and retried by an
administrator (a logged event)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from clearance.domain.lifecycle import State
from clearance.errors import ConfigurationError, PolicyRefusal
from clearance.notifications import NotificationKind, list_for_user
from clearance.publishing import (
    ChannelNotConfigured,
    FailureCode,
    Missing,
    NothingToRetry,
    PublicationStatus,
    failed_publications,
    missing_configuration,
    publication_status,
    publish_all,
    retry,
)
from clearance.publishing.queue import drive, waiting_publications
from clearance.runtime import Runtime
from clearance.services.items import load_item
from clearance.services.review import review_revision
from tests.channels import Receiver
from tests.flows.conftest import approve_fully, log_types, make_settings, submit_text

KEY_ENV = "CLEARANCE_SOCIAL_WEBHOOK_KEY"


def _open(home: Path, **extra: str) -> Runtime:
    return Runtime.open(make_settings(home, extra))


@pytest.fixture
def home(world_template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "home"
    shutil.copytree(world_template, target)
    return target


def _approved_two_channels(home: Path, url: str) -> str:
    """Submitted and approved while the social channel had its key (the configuration was
    lost afterwards: a restart without the environment variable)."""
    from clearance.services.users import add_user

    rt = _open(home, CLEARANCE_WEBHOOK_URL_SOCIAL=url)
    try:
        add_user(rt, actor="test", username="admin", display_name="Quản trị", roles=["admin"])
        item = submit_text(rt, channels=("social", "website"))
        review_revision(rt, item)
        approve_fully(rt, item)
    finally:
        rt.close()
    return item


def _statuses(rt: Runtime, item: str) -> dict[str, PublicationStatus]:
    return {v.channel: v.status for v in publication_status(rt, item)[1]}


def test_a_channel_without_its_key_does_not_stop_the_other(
    home: Path, webhook_receiver: tuple[Receiver, str]
) -> None:
    item = _approved_two_channels(home, webhook_receiver[1])
    rt = _open(home, **{KEY_ENV: "", "CLEARANCE_WEBHOOK_URL_SOCIAL": webhook_receiver[1]})
    try:
        with pytest.raises(ChannelNotConfigured):
            publish_all(rt, item)
        assert _statuses(rt, item) == {
            "social": PublicationStatus.FAILED,
            "website": PublicationStatus.PUBLISHED,
        }
        assert (rt.settings.published_dir / "items" / item / "index.html").is_file()
        [failed] = [v for v in publication_status(rt, item)[1] if v.channel == "social"]
        assert failed.error_code is FailureCode.NOT_CONFIGURED and failed.current
        assert KEY_ENV in (failed.error or "")
        assert "test-webhook-key" not in (failed.error or "")  # never the key itself
        with rt.sessions() as session:
            assert load_item(session, item).state == State.APPROVED.value
        types = log_types(rt, item)
        assert types.count("publication.failed") == 1
        assert types.count("publication.published") == 1  # website only
        notified = list_for_user(rt, "lan.nguyen")
        assert next(n.kind for n in notified if n.item_id == item) is (
            NotificationKind.PUBLICATION_FAILED
        )

        # the same failure again (the dispatcher's next try) is not logged or notified twice
        with pytest.raises(ChannelNotConfigured):
            drive(rt, item)
        assert log_types(rt, item).count("publication.failed") == 1
        kinds = [n.kind for n in list_for_user(rt, "lan.nguyen") if n.item_id == item]
        assert kinds.count(NotificationKind.PUBLICATION_FAILED) == 1
        assert [f.channel for f in failed_publications(rt)] == ["social"]
    finally:
        rt.close()


def test_the_dispatcher_holds_a_failed_item_then_offers_it_again(
    home: Path, webhook_receiver: tuple[Receiver, str]
) -> None:
    item = _approved_two_channels(home, webhook_receiver[1])
    rt = _open(home, **{KEY_ENV: ""})
    try:
        with pytest.raises(ConfigurationError):
            drive(rt, item)
        with rt.sessions() as session:
            assert item not in waiting_publications(session, limit=10)
            later = datetime.now(UTC) + timedelta(hours=1)
            assert item in waiting_publications(session, limit=10, now=later)
    finally:
        rt.close()


def test_an_administrator_retries_once_the_key_is_back(
    home: Path, webhook_receiver: tuple[Receiver, str]
) -> None:
    item = _approved_two_channels(home, webhook_receiver[1])
    rt = _open(home, **{KEY_ENV: ""})
    try:
        with pytest.raises(ConfigurationError):
            publish_all(rt, item)
        with pytest.raises(PolicyRefusal, match="may not retry"):
            retry(rt, item, "social", actor="lan.nguyen")
        with pytest.raises(ChannelNotConfigured):  # still no key: logged as a failed retry
            retry(rt, item, "social", actor="admin")
        assert log_types(rt, item).count("publication.failed") == 2
    finally:
        rt.close()
    rt = _open(home, CLEARANCE_WEBHOOK_URL_SOCIAL=webhook_receiver[1])
    try:
        assert missing_configuration(rt, "social") == ()
        outcome = retry(rt, item, "social", actor="admin")
        assert outcome.status is PublicationStatus.PUBLISHED and outcome.matches is True
        assert webhook_receiver[0].live  # the receiver holds the release
        with rt.sessions() as session:
            assert load_item(session, item).state == State.PUBLISHED.value
        types = log_types(rt, item)
        assert types.count("publication.retried") == 2
        assert types[-1] == "publication.published"
        [social] = [v for v in publication_status(rt, item)[1] if v.channel == "social"]
        assert social.error_code is None and social.attempts == 3
        with pytest.raises(NothingToRetry):
            retry(rt, item, "social", actor="admin")
        assert failed_publications(rt) == []
    finally:
        rt.close()


def test_an_unreachable_webhook_is_recorded_as_unreachable(home: Path) -> None:
    rt = _open(home, CLEARANCE_WEBHOOK_URL_SOCIAL="http://127.0.0.1:9/hook")
    try:
        item = submit_text(rt, channels=("social", "website"))
        review_revision(rt, item)
        approve_fully(rt, item)
        with pytest.raises(OSError):
            publish_all(rt, item)
        [social] = [v for v in publication_status(rt, item)[1] if v.channel == "social"]
        assert social.status is PublicationStatus.FAILED
        assert social.error_code is FailureCode.UNREACHABLE
        assert _statuses(rt, item)["website"] is PublicationStatus.PUBLISHED
    finally:
        rt.close()


def test_missing_configuration_names_what_is_missing(home: Path) -> None:
    rt = _open(home, **{KEY_ENV: ""})
    try:
        assert missing_configuration(rt, "website") == ()
        assert missing_configuration(rt, "press") == ()
        [missing] = missing_configuration(rt, "social")
        assert missing.code is Missing.HMAC_KEY and missing.name == KEY_ENV
    finally:
        rt.close()
