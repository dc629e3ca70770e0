"""The Vietnamese catalogue is complete and compiled: every msgid ``make translations`` extracts
from the code and templates has a non-empty, reviewed (not fuzzy) Vietnamese translation whose
placeholders match, and the committed ``.mo`` is the compiled ``.po``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
HERE = ROOT / "webapp" / "translations"
VI_PO = HERE / "vi" / "LC_MESSAGES" / "messages.po"
VI_MO = HERE / "vi" / "LC_MESSAGES" / "messages.mo"


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The msgids, extracted by the Makefile's own command (one place for the keywords)."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(
        ["make", "--no-print-directory", "-s", "translations-pot",
         f"VENV={Path(sys.executable).parent}", f"POT={pot}"],
        check=True, cwd=ROOT, capture_output=True,
    )  # fmt: skip
    with pot.open("rb") as handle:
        ids = {m.id for m in read_po(handle) if m.id and isinstance(m.id, str)}
    assert len(ids) > 100, "the extraction found almost nothing; check webapp/babel.cfg"
    return ids


def _vi() -> Catalog:
    with VI_PO.open("rb") as handle:
        return read_po(handle, locale="vi")


def test_every_extracted_message_has_a_vietnamese_translation(extracted: set[str]) -> None:
    catalog = _vi()
    missing = sorted(i for i in extracted if not (catalog.get(i) and catalog[i].string))
    assert not missing, (
        f"no Vietnamese for {missing[:5]}: run `make translations` and fill in the msgstr in "
        f"{VI_PO.relative_to(ROOT)}"
    )
    fuzzy = sorted(i for i in extracted if catalog[i].fuzzy)
    assert not fuzzy, f"fuzzy (unreviewed, not compiled) translations: {fuzzy[:5]}"


def test_the_translations_keep_the_placeholders() -> None:
    problems = [
        (message.id, [str(e) for e in errors]) for message, errors in _vi().check() if errors
    ]
    assert not problems, problems[:5]


def test_the_committed_mo_is_the_compiled_po() -> None:
    with VI_MO.open("rb") as handle:
        compiled = {m.id: m.string for m in read_mo(handle) if m.id}
    source = {m.id: m.string for m in _vi() if m.id and m.string and not m.fuzzy}
    assert compiled == source, "the .mo is stale: run `make translations` and commit the .mo"
