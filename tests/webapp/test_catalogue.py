"""Every message the web UI can show has its Vietnamese translation, and the compiled catalogue
is the one the sources give (run webapp/translations/make_catalogs.py after changing a string)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
HERE = ROOT / "webapp" / "translations"


def test_every_message_has_a_vietnamese_translation(tmp_path: Path) -> None:
    sys.path.insert(0, str(HERE))
    try:
        from vi_terms import VI
    finally:
        sys.path.remove(str(HERE))
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F",
         str(ROOT / "webapp" / "babel.cfg"), "-k", "_l", "-k", "lazy_gettext", "--no-location",
         "--omit-header", "-o", str(pot), str(ROOT / "webapp")],
        check=True, cwd=ROOT, capture_output=True,
    )  # fmt: skip
    with pot.open("rb") as handle:
        ids = {m.id for m in read_po(handle) if m.id}
    missing = sorted(i for i in ids if isinstance(i, str) and i not in VI)
    assert not missing, f"no Vietnamese for {missing[:5]}: add them to vi_terms.py"
    with (HERE / "vi" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        compiled = {m.id: m.string for m in read_po(handle) if m.id and isinstance(m.id, str)}
    stale = sorted(i for i in ids if isinstance(i, str) and compiled.get(i) != VI[i])
    assert not stale, f"the catalogue is stale for {stale[:5]}: run make_catalogs.py"
