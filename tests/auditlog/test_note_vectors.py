"""C2SP signed notes and checkpoints against signed_note.json, byte for byte."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from clearance.auditlog.checkpoint import Checkpoint, open_checkpoint, parse_body
from clearance.auditlog.note import Signer, open_note, parse_skey, parse_vkey, sign
from clearance.errors import BadInput, VerificationError

VECTORS = Path(__file__).resolve().parents[2].parent / "shared" / "vectors"


@pytest.fixture(scope="module")
def notes(vectors: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((vectors / "signed_note.json").read_text())
    return data


def test_spec_example_vkey_and_note(notes: dict[str, Any]) -> None:
    ex = notes["spec_example"]
    verifier = parse_vkey(ex["vkey"])
    assert verifier.public_key.hex() == ex["pubkey_hex"]
    assert verifier.vkey == ex["vkey"]
    opened = open_note(ex["note"], [verifier])
    assert opened.text == ex["text"]
    assert [s.name for s in opened.verified] == ["example.com/foo"]


def test_go_sign_known_answer_byte_for_byte(notes: dict[str, Any]) -> None:
    ka = notes["go_sign_known_answer"]
    signer = parse_skey(ka["skey"])
    assert signer.skey == ka["skey"]
    assert signer.verifier.vkey == ka["vkey"]
    assert sign(ka["text"], [signer]) == ka["want_note"]


def _open_case_ids() -> list[str]:
    path = VECTORS / "signed_note.json"
    if not path.exists():
        return []
    return [c["desc"] for c in json.loads(path.read_text())["go_open_cases"]["cases"]]


@pytest.mark.parametrize("desc", _open_case_ids())
def test_go_open_cases(notes: dict[str, Any], desc: str) -> None:
    group = notes["go_open_cases"]
    case = next(c for c in group["cases"] if c["desc"] == desc)
    keys = {"peter": parse_vkey(group["peter_vkey"]), "enoch": parse_vkey(group["enoch_vkey"])}
    known = [keys[k] for k in case["known"]]
    want: str = case["want"]
    if want == "ok":
        opened = open_note(case["note"], known)
        assert [s.name for s in opened.verified] == case["verified"]
        assert opened.text == group["text"]
    elif want == "error: malformed note":
        with pytest.raises(BadInput, match="malformed note"):
            open_note(case["note"], known)
    else:
        with pytest.raises(VerificationError, match=re.escape(want.removeprefix("error: "))):
            open_note(case["note"], known)


@pytest.mark.parametrize("index", range(5))
def test_malformed_vkeys(notes: dict[str, Any], index: int) -> None:
    with pytest.raises(BadInput):
        parse_vkey(notes["malformed_vkeys"][index])


def test_checkpoint_round_trip_and_strictness() -> None:
    signer = Signer.generate("clearance.test/log")
    cp = Checkpoint("clearance.test/log", 5, b"\x07" * 32)
    text = cp.sign([signer])
    opened = open_checkpoint(text, [signer.verifier], origin="clearance.test/log")
    assert opened.checkpoint == cp
    with pytest.raises(VerificationError, match="origin"):
        open_checkpoint(text, [signer.verifier], origin="other/log")
    with pytest.raises(VerificationError, match="no verifiable signatures"):
        open_checkpoint(text, [Signer.generate("clearance.test/log").verifier])
    body = cp.body()
    with pytest.raises(BadInput, match="no extensions"):
        parse_body(body + "extension line\n")
    with pytest.raises(BadInput, match="canonical decimal"):
        parse_body(body.replace("\n5\n", "\n05\n"))
    with pytest.raises(BadInput, match="want 32"):
        parse_body("o\n1\nAAAA\n")
