"""The webhook channel against a real local HTTP server, and e-mail against a local SMTP sink."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator

import pytest

from clearance.errors import PolicyRefusal
from clearance.publishing import adapter_for, check_release, publish_all
from clearance.publishing.release import Release, ReleasePart
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


def _release_in_two_languages() -> Release:
    """A release by hand: the Vietnamese text and its file, the English version and its file."""

    def part(name: str, role: str, mime: str, data: bytes, **extra: str) -> ReleasePart:
        return ReleasePart(name, role, mime, hashlib.sha256(data).hexdigest(), data, **extra)

    return Release(
        item_id="it-1",
        revision=1,
        title="Tin tỉnh",
        level="cong_khai",
        channels=("social",),
        manifest_json='{"m":1}',
        manifest_hash="ab" * 32,
        policy_hash="cd" * 32,
        parts=(
            part("body.txt", "body", "text/plain", b"vi"),
            part("body.en.txt", "version", "text/plain", b"en", language="en", title="News"),
            part("a.pdf", "attachment", "application/pdf", b"A"),
            part("b.pdf", "attachment", "application/pdf", b"B", language="en"),
        ),
        approvals=(),
        language="vi",
    )


#: the body the receiver gets for that release, written out by hand: every part carries the
#: language and title of the text it goes with (b.pdf the English version's, a.pdf the main's)
KNOWN_BODY = (
    '{"action": "publish", "approvals": {"approvals": [], "item": "it-1", "manifest": "'
    + "ab" * 32
    + '", "policy": "'
    + "cd" * 32
    + '", "revision": 1}, "channel": "social", "item": "it-1", "manifest": "{\\"m\\":1}", '
    '"manifest_hash": "' + "ab" * 32 + '", "parts": ['
    '{"data": "dmk=", "language": "vi", "mime": "text/plain", "name": "body.txt", '
    '"role": "body", "sha256": "' + hashlib.sha256(b"vi").hexdigest() + '", "title": "Tin tỉnh"}, '
    '{"data": "ZW4=", "language": "en", "mime": "text/plain", "name": "body.en.txt", '
    '"role": "version", "sha256": "' + hashlib.sha256(b"en").hexdigest() + '", "title": "News"}, '
    '{"data": "QQ==", "language": "vi", "mime": "application/pdf", "name": "a.pdf", '
    '"role": "attachment", "sha256": "' + hashlib.sha256(b"A").hexdigest() + '", '
    '"title": "Tin tỉnh"}, '
    '{"data": "Qg==", "language": "en", "mime": "application/pdf", "name": "b.pdf", '
    '"role": "attachment", "sha256": "' + hashlib.sha256(b"B").hexdigest() + '", '
    '"title": "News"}], "revision": 1, "title": "Tin tỉnh"}'
).encode("utf-8")


def test_a_version_s_files_carry_its_language_and_title_in_the_webhook_body() -> None:
    """Known answer: the exact body posted, and its signature computed here with the standard
    library's HMAC (not the channel's own function) and by openssl at a fixed timestamp."""
    state = Receiver()
    with serving(state) as url:
        WebhookChannel(url, KEY, "social").put(_release_in_two_languages())
    [(timestamp, signature, body)] = state.raw[:1]
    assert body == KNOWN_BODY
    payload = json.loads(body)
    assert all(p["title"] is not None and p["language"] for p in payload["parts"])
    mac = hmac.new(KEY, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert signature == f"sha256={mac}"
    # printf '1700000000.%s' "$KNOWN_BODY" \
    #   | openssl dgst -sha256 -hmac 'test-webhook-key-0123456789abcdef'
    want = "sha256=ebc0735362b0baf15c6670a97fa9b617d7392d996c63d526f7de80a91ed22dce"
    assert sign(KEY, "1700000000", KNOWN_BODY) == want
