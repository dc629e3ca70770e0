"""Static website: one page per item in Vietnamese typography, the approved files, an index, an
Atom feed, and beside each item what a reader needs to check it offline.

Layout under the site folder::

    index.html  feed.atom  log.vkey
    items/<item>/index.html          the page
    items/<item>/files/<part>        the approved bytes, exactly
    items/<item>/manifest.json       the release manifest, exactly as hashed
    items/<item>/approvals.json      the signed sign-off statements
    items/<item>/receipt.json        inclusion proofs to a signed checkpoint
    items/<item>/meta.json           what the index and the feed list

A reader checks an item with ``clearance audit verify-receipt receipt.json --vkey log.vkey``
and ``sha256sum files/*`` against ``manifest.json``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from clearance.publishing.adapter import ReadBack
from clearance.publishing.files import (
    digests,
    folder_lock,
    remove_folder,
    replace_folder,
    write_atomic,
)
from clearance.publishing.pages import render_feed, render_index, render_item
from clearance.publishing.release import Release, ReleasePart

ReceiptSource = Callable[[str], str | None]


def _file_meta(release: Release, part: ReleasePart) -> dict[str, object]:
    """A file as the feed lists it: under its version (None: the main text's), in the language
    and with the title of the text it goes with."""
    language, title = release.version_of(part)
    return {"name": part.name, "mime": part.mime, "length": len(part.data),
            "version": part.language, "language": language, "title": title}  # fmt: skip


@dataclass(frozen=True, slots=True)
class WebsiteChannel:
    root: Path
    base_url: str
    feed_title: str
    receipt: ReceiptSource
    vkey: str | None = None

    def folder(self, item_id: str) -> Path:
        return self.root / "items" / item_id

    def put(self, release: Release) -> str:
        now = datetime.now(UTC)
        summary = (release.body_text or "").strip()[:300]
        files = {f"files/{p.name}": p.data for p in release.parts}
        files["manifest.json"] = release.manifest_json.encode("utf-8")
        files["approvals.json"] = release.approvals_json()
        receipt = self.receipt(release.item_id)
        if receipt is not None:
            files["receipt.json"] = receipt.encode("utf-8")
        files["meta.json"] = json.dumps(
            {
                "item": release.item_id,
                "title": release.title,
                "manifest": release.manifest_hash,
                "published_at": now.isoformat(),
                "summary": summary,
                # the feed's entry: the languages, and each file under the text it goes with
                "language": release.language,
                "versions": [
                    {"language": p.language, "title": p.title}
                    for p in release.parts
                    if p.role == "version"
                ],
                "files": [_file_meta(release, p) for p in release.parts if p.role == "attachment"],
            },
            ensure_ascii=False,
            sort_keys=True,
        ).encode("utf-8")
        files["index.html"] = render_item(
            release, published_at=now, site_title=self.feed_title, has_receipt=receipt is not None
        ).encode("utf-8")
        with folder_lock(self.root):
            replace_folder(self.folder(release.item_id), files)
            self._rebuild()
        return f"{self.base_url.rstrip('/')}/items/{release.item_id}/"

    def read_back(self, release: Release) -> ReadBack:
        folder = self.folder(release.item_id)
        found = digests(folder / "files")
        manifest = folder / "manifest.json"
        if not manifest.is_file() or manifest.read_text("utf-8") != release.manifest_json:
            found["manifest.json"] = "missing-or-different"
        return ReadBack(str(folder), found)

    def remove(self, release_item: str, manifest_hash: str) -> None:
        with folder_lock(self.root):
            remove_folder(self.folder(release_item))
            self._rebuild()

    def _rebuild(self) -> None:
        entries = []
        for meta in sorted((self.root / "items").glob("*/meta.json")):
            try:
                entries.append(json.loads(meta.read_text("utf-8")))
            except (OSError, ValueError):
                continue
        entries.sort(key=lambda e: str(e.get("published_at", "")), reverse=True)
        write_atomic(self.root / "index.html", render_index(entries, self.feed_title).encode())
        feed = render_feed(entries, title=self.feed_title, base_url=self.base_url)
        write_atomic(self.root / "feed.atom", feed.encode("utf-8"))
        if self.vkey is not None:
            write_atomic(self.root / "log.vkey", (self.vkey.strip() + "\n").encode("utf-8"))
