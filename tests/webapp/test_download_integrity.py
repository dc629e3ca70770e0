"""A part whose stored bytes were changed is never served: the download route hashes the blob
before answering and answers 500 with a Vietnamese message (and a log line) instead."""

from __future__ import annotations

import hashlib
import io
import logging
from pathlib import Path

import pytest
from flask import Flask

from clearance.runtime import Runtime
from clearance.services.items import Submission, submit
from clearance.services.uploads import Upload
from clearance.storage.blobs import CHUNK, FolderBlobStore
from tests.webapp.helpers import browser

MESSAGE_VI = "Tệp này không vượt qua kiểm tra toàn vẹn"


def _item_with(rt: Runtime, data: bytes) -> tuple[str, str]:
    item = submit(rt, author="tac.gia", submission=Submission(
        title="Báo cáo hợp tác", channels=["website"], declared_level="cong_khai",
        body_text="Tóm tắt kết quả hợp tác.", attachments=[Upload("bao-cao.txt", io.BytesIO(data))]))  # fmt: skip
    digest = hashlib.sha256(data).hexdigest()  # the store names a blob by its hash
    assert rt.blobs.exists(digest)
    return item, digest


def _tamper(rt: Runtime, digest: str, data: bytes) -> None:
    assert isinstance(rt.blobs, FolderBlobStore)
    path: Path = rt.blobs.path(digest)
    path.chmod(0o644)
    path.write_bytes(data)


def _url(item: str) -> str:
    return f"/items/{item}/r/1/parts/1?variant=original"


def test_an_intact_part_downloads(app: Flask, rt: Runtime) -> None:
    data = "Báo cáo năm 2026.\n".encode() * 10
    item, _ = _item_with(rt, data)
    response = browser(app, "tac.gia").client.get(_url(item))
    assert response.status_code == 200
    assert response.get_data() == data


@pytest.mark.parametrize(
    ("size", "where"),
    [(400, "same length, one byte"), (CHUNK + CHUNK // 2, "same length, first chunk")],
)
def test_a_tampered_part_is_refused(
    app: Flask, rt: Runtime, caplog: pytest.LogCaptureFixture, size: int, where: str
) -> None:
    data = bytes(range(97, 123)) * (size // 26) + b"z" * (size % 26)
    item, digest = _item_with(rt, data)
    changed = b"X" + data[1:]  # the same length: only the hash can tell
    assert len(changed) == len(data)
    _tamper(rt, digest, changed)
    with caplog.at_level(logging.ERROR, logger="webapp"):
        response = browser(app, "tac.gia").client.get(_url(item))
    body = response.get_data()
    assert response.status_code == 500, where
    assert MESSAGE_VI in body.decode()
    assert changed[:64] not in body
    assert response.headers.get("Content-Disposition") is None
    assert any(digest in r.getMessage() and "no longer matches" in r.getMessage()
               for r in caplog.records)  # fmt: skip


def test_a_shortened_part_is_refused(app: Flask, rt: Runtime) -> None:
    item, digest = _item_with(rt, b"0123456789" * 50)
    _tamper(rt, digest, b"0123456789" * 49)
    response = browser(app, "tac.gia").client.get(_url(item))
    assert response.status_code == 500
    assert MESSAGE_VI in response.get_data(as_text=True)
