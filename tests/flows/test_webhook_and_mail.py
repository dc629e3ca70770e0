"""The webhook channel against a real local HTTP server, and e-mail against a local SMTP sink."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from clearance.errors import PolicyRefusal
from clearance.publishing import adapter_for, check_release, publish_all
from clearance.publishing.webhook import WebhookChannel, WebhookError, sign
from clearance.runtime import Runtime
from clearance.services.review import review_revision
from tests.channels import KEY, Receiver, Sink, serving
from tests.flows.conftest import approve_fully, log_types, make_settings, submit_text


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    state = Receiver(fail_first=2)
    with serving(state) as url:
        yield state, url


def test_webhook_signature_known_answer() -> None:
    # printf '1700000000.{"action":"publish","item":"a1"}' \
    #   | openssl dgst -sha256 -hmac 'test-webhook-key-0123456789abcdef'
    want = "sha256=ba835d08182687add579f50c0201775adcdc653e3ce0f65387152d7950c30321"
    assert sign(KEY, "1700000000", b'{"action":"publish","item":"a1"}') == want


def _runtime_with(rt: Runtime, extra: dict[str, str]) -> Runtime:
    return Runtime.open(make_settings(rt.settings.home, extra))


def test_webhook_is_signed_retried_and_read_back(
    rt: Runtime, receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    rt2 = _runtime_with(rt, {"CLEARANCE_WEBHOOK_URL_SOCIAL": url})
    item = submit_text(rt2, channels=("social",))
    review_revision(rt2, item)
    approve_fully(rt2, item)
    [outcome] = publish_all(rt2, item)
    assert outcome.matches is True
    assert state.posts == 4  # two 503s, then delivered, then the read-back asked the receiver
    assert state.actions == {"publish": 1, "read_back": 1}
    [payload] = state.applied.values()
    assert payload["item"] == item and payload["manifest_hash"] == outcome.manifest_hash
    assert log_types(rt2, item).count("publication.published") == 1


def test_webhook_read_back_asks_the_receiver_what_it_holds(
    rt: Runtime, receiver: tuple[Receiver, str]
) -> None:
    """The receiver lost or changed a part after the delivery: the read-back is not fooled by
    what the delivery answered earlier."""
    state, url = receiver
    state.fail_first = 0
    rt2 = _runtime_with(rt, {"CLEARANCE_WEBHOOK_URL_SOCIAL": url})
    item = submit_text(rt2, channels=("social",))
    review_revision(rt2, item)
    approve_fully(rt2, item)
    [outcome] = publish_all(rt2, item)
    assert outcome.matches is True
    release = check_release(rt2, item, "social")
    channel = adapter_for(rt2, "social")
    [held] = state.live.values()
    held["body.txt"] = "0" * 64
    assert channel.read_back(release).matches(release) is False
    state.live.clear()
    assert channel.read_back(release).matches(release) is False


def test_webhook_gives_up_after_its_own_attempts(
    rt: Runtime, receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    state.fail_first = 10**6
    channel = WebhookChannel(url=url, key=KEY, channel="social", backoff=0.01)
    rt2 = _runtime_with(rt, {"CLEARANCE_WEBHOOK_URL_SOCIAL": url})
    item = submit_text(rt2, channels=("social",))
    review_revision(rt2, item)
    approve_fully(rt2, item)
    with pytest.raises(WebhookError, match="failed 4 times"):
        channel.put(check_release(rt2, item, "social"))
    assert state.posts == 4


def test_webhook_with_a_wrong_key_is_refused_and_stays_pending(
    rt: Runtime, receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    state.fail_first = 0
    state.key = b"another key"
    rt2 = _runtime_with(rt, {"CLEARANCE_WEBHOOK_URL_SOCIAL": url})
    item = submit_text(rt2, channels=("social",))
    review_revision(rt2, item)
    approve_fully(rt2, item)
    with pytest.raises(PolicyRefusal, match="HTTP 401"):
        publish_all(rt2, item)
    assert "publication.published" not in log_types(rt2, item)


def test_signoff_request_is_emailed_without_content(
    rt: Runtime, smtp_sink: tuple[Sink, int]
) -> None:
    sink, port = smtp_sink
    rt2 = _runtime_with(rt, {"CLEARANCE_SMTP_HOST": "127.0.0.1", "CLEARANCE_SMTP_PORT": str(port)})
    item = submit_text(rt2)
    review_revision(rt2, item)
    [message] = sink.messages
    assert message["To"] == "hung.le@example.gov.vn"
    text = message.get_payload(decode=True).decode("utf-8")  # type: ignore[union-attr]
    assert item in text and "unit_review" in text
    assert "Nhật Bản" not in text and "Nhật Bản" not in str(message["Subject"])


@pytest.mark.parametrize(("fail_first", "key"), [(1, KEY), (0, b"another-key-0123456789abcdef")])
def test_a_refused_or_retried_delivery_leaves_no_connection_open(
    fail_first: int, key: bytes
) -> None:
    """An HTTP error answer holds its connection: it is closed, not left to the collector (a
    ResourceWarning per 5xx retry or refusal)."""
    import gc
    import warnings

    with serving(Receiver(fail_first=fail_first)) as url:
        channel = WebhookChannel(url=url, key=key, channel="social")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                channel._post(
                    {"action": "read_back", "manifest_hash": "h", "channel": "social"}, "k"
                )
            except PolicyRefusal:
                assert fail_first == 0  # the wrong key: 401, refused at once
            gc.collect()
    leaked = [w for w in caught if issubclass(w.category, ResourceWarning)]
    assert leaked == []
