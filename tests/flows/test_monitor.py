"""The channel monitor reads every live publication back from its channel: a replaced, missing or
added file is a drift, logged once per live state, notified, and shown; an untouched one matches."""

from __future__ import annotations

from sqlalchemy import select

from clearance.notifications.models import Notification
from clearance.publishing import publish_all
from clearance.publishing.monitor import LiveState, check_live, drifts
from clearance.runtime import Runtime
from clearance.services.review import review_revision
from clearance.storage.models import User
from tests.flows.conftest import approve_fully, log_types, submit_text


def _published(rt: Runtime) -> str:
    item = submit_text(rt)
    review_revision(rt, item)
    approve_fully(rt, item)
    publish_all(rt, item)
    return item


def test_an_untouched_publication_matches(rt: Runtime) -> None:
    item = _published(rt)
    [check] = check_live(rt)
    assert (check.item_id, check.state) == (item, LiveState.MATCHES)
    assert "publication.drifted" not in log_types(rt, item)


def test_a_file_replaced_on_the_channel_is_a_drift_logged_once_and_notified(rt: Runtime) -> None:
    item = _published(rt)
    files = rt.settings.published_dir / "items" / item / "files"
    victim = sorted(files.iterdir())[0]
    victim.write_bytes(b"tampered after approval")
    [check] = check_live(rt)
    assert check.state is LiveState.DRIFTED and check.logged
    assert victim.name in check.message
    [again] = check_live(rt)  # the same live state: not logged twice
    assert again.state is LiveState.DRIFTED and not again.logged
    assert log_types(rt, item).count("publication.drifted") == 1
    [drift] = drifts(rt, item)
    assert drift["replaced"] == [victim.name] and drift["channel"] == "website"
    with rt.sessions() as session:
        told = session.scalars(
            select(User.username)
            .join(Notification, Notification.user_id == User.id)
            .where(Notification.kind == "drifted")
        ).all()
        admins = session.scalars(select(User.username).where(User.roles.contains("admin"))).all()
    assert set(admins) <= set(told) and told


def test_a_file_added_or_removed_is_a_drift(rt: Runtime) -> None:
    item = _published(rt)
    files = rt.settings.published_dir / "items" / item / "files"
    (files / "extra.txt").write_text("not approved")
    [check] = check_live(rt)
    assert check.state is LiveState.DRIFTED and "extra.txt" in check.message
    (files / "extra.txt").unlink()
    sorted(files.iterdir())[0].unlink()
    [check] = check_live(rt)
    assert check.state is LiveState.DRIFTED and check.logged  # a new live state, logged again
    assert log_types(rt, item).count("publication.drifted") == 2
