"""Regenerate the catalogues: extract, write vi (from ``vi_terms.VI``) and en, compile .mo.

    .venv/bin/python webapp/translations/make_catalogs.py

Fails when a message has no Vietnamese translation, so the catalogue stays complete.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def main() -> int:
    sys.path.insert(0, str(HERE))
    from vi_terms import VI

    pot = HERE / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F",
         str(ROOT / "webapp" / "babel.cfg"), "-k", "_l", "-k", "lazy_gettext",
         "--no-location", "--omit-header", "-o", str(pot), str(ROOT / "webapp")],
        check=True, cwd=ROOT, capture_output=True,
    )  # fmt: skip
    with pot.open("rb") as handle:
        template = read_po(handle)
    missing = [m.id for m in template if m.id and m.id not in VI]
    if missing:
        print("no Vietnamese translation for:", *missing, sep="\n  ", file=sys.stderr)
        return 1
    for lang in ("vi", "en"):
        with pot.open("rb") as handle:
            catalog = read_po(handle, locale=lang)
        for message in catalog:
            if message.id:
                message.string = VI[message.id] if lang == "vi" else message.id
        folder = HERE / lang / "LC_MESSAGES"
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / "messages.po").open("wb") as handle:
            write_po(handle, catalog, omit_header=False, sort_output=True, no_location=True)
        with (folder / "messages.mo").open("wb") as handle:
            write_mo(handle, catalog)
    pot.unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
