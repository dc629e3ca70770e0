"""Directory drop: the approved bytes, the manifest and the approvals in one folder per release.

Layout: ``<path>/<item>-<manifest hash[:12]>/`` holding ``files/<part name>``,
``manifest.json`` (canonical, exactly as hashed) and ``approvals.json``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from clearance.publishing.adapter import ReadBack
from clearance.publishing.files import digests, folder_lock, remove_folder, replace_folder
from clearance.publishing.release import Release


@dataclass(frozen=True, slots=True)
class DirectoryChannel:
    root: Path

    def folder(self, item_id: str, manifest_hash: str) -> Path:
        return self.root / f"{item_id}-{manifest_hash[:12]}"

    def put(self, release: Release) -> str:
        files = {f"files/{p.name}": p.data for p in release.parts}
        files["manifest.json"] = release.manifest_json.encode("utf-8")
        files["approvals.json"] = release.approvals_json()
        folder = self.folder(release.item_id, release.manifest_hash)
        with folder_lock(self.root):
            replace_folder(folder, files)
        return str(folder)

    def read_back(self, release: Release) -> ReadBack:
        folder = self.folder(release.item_id, release.manifest_hash)
        found = digests(folder / "files")
        return ReadBack(str(folder), found)

    def remove(self, release_item: str, manifest_hash: str) -> None:
        with folder_lock(self.root):
            remove_folder(self.folder(release_item, manifest_hash))
