"""Part names: the body and the attachments never share a name in a release, and the read-back
compares every part live on the channel by hash, so a replaced, missing or added part is never
``matches``."""

from __future__ import annotations

import dataclasses
import io

import pytest

from clearance.domain.manifest import Manifest, ManifestKind, PartEntry, PartRole
from clearance.errors import BadInput
from clearance.publishing import adapter_for, check_release, publish_all
from clearance.publishing.adapter import sha256_hex
from clearance.runtime import Runtime
from clearance.services.items import Submission, submit
from clearance.services.review import review_revision
from clearance.services.uploads import Upload
from tests.flows.conftest import CLEAN_BODY, approve_fully, submit_text

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4"
    "890000000d49444154789c6360f8cfc0f01f0005000201e221bc330000000049454e44ae426082"
)


def _submit(rt: Runtime, name: str, data: bytes) -> str:
    return submit(
        rt,
        author="lan.nguyen",
        submission=Submission(
            title="Ảnh hội nghị",
            channels=["website"],
            declared_level="cong_khai",
            body_text=CLEAN_BODY,
            attachments=[Upload(name, io.BytesIO(data))],
        ),
    )


@pytest.mark.parametrize("name", ["body.txt", "./body.txt", "thư mục/body.txt"])
def test_an_attachment_named_like_the_body_is_refused(rt: Runtime, name: str) -> None:
    with pytest.raises(BadInput, match="the name a text of the item is published under"):
        _submit(rt, name, "Nội dung thay thế, không được duyệt.\n".encode())


def test_a_manifest_whose_parts_share_a_name_is_refused() -> None:
    part = PartEntry("a.png", PartRole.ATTACHMENT, "0" * 64, 1, "image/png")
    with pytest.raises(BadInput, match=r"named 'a\.png'"):
        Manifest.build(
            kind=ManifestKind.RELEASE,
            item_id="x",
            title="t",
            channels=["website"],
            declared_level="cong_khai",
            parts=[part, dataclasses.replace(part, sha256="1" * 64)],
        )


def _published(rt: Runtime) -> str:
    item = _submit(rt, "anh.png", PNG)
    review_revision(rt, item)
    approve_fully(rt, item)
    [outcome] = publish_all(rt, item)
    assert outcome.matches is True
    return item


def test_read_back_sees_a_replaced_part_on_the_website(rt: Runtime) -> None:
    item = _published(rt)
    files = rt.settings.published_dir / "items" / item / "files"
    release = check_release(rt, item, "website")
    channel = adapter_for(rt, "website")
    assert channel.read_back(release).matches(release) is True
    (files / "body.txt").write_bytes(b"thay the")
    assert channel.read_back(release).matches(release) is False


def test_read_back_sees_an_added_or_missing_part(rt: Runtime) -> None:
    item = _published(rt)
    files = rt.settings.published_dir / "items" / item / "files"
    release = check_release(rt, item, "website")
    channel = adapter_for(rt, "website")
    (files / "extra.html").write_bytes(b"<script>")
    assert channel.read_back(release).matches(release) is False
    (files / "extra.html").unlink()
    (files / "anh.png").unlink()
    assert channel.read_back(release).matches(release) is False


def test_a_release_whose_parts_share_a_name_never_matches(rt: Runtime) -> None:
    item = submit_text(rt)
    review_revision(rt, item)
    approve_fully(rt, item)
    release = check_release(rt, item, "website")
    body = release.parts[0]
    other = "Nội dung khác, không được duyệt.".encode()
    twin = dataclasses.replace(body, role="attachment", sha256=sha256_hex(other), data=other)
    doubled = dataclasses.replace(release, parts=(body, twin))
    channel = adapter_for(rt, "website")
    channel.put(doubled)
    assert channel.read_back(doubled).matches(doubled) is False
