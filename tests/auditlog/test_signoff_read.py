"""``read_signoff``'s render-and-compare shortcut reaches exactly the verdict of parsing the
statement and comparing it field by field, for honest and altered sign-offs alike."""

from __future__ import annotations

import base64
from typing import Any

from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from clearance.auditlog import workflow
from clearance.auditlog.entry import EntryTuple
from clearance.auditlog.statement import FIELDS, HEADER

ORIGIN = "clearance.test/log"
SIGNATURE = "— dana " + base64.b64encode(b"\x01\x02\x03\x04" + b"s" * 64).decode() + "\n"


def mostly(good: list[Any], edges: list[Any]) -> st.SearchStrategy[Any]:
    """Good values most of the time, values at the edges of what SignOff accepts otherwise."""
    return st.sampled_from(good * 40 + edges)


words = mostly(
    ["dana", "x", "a b", " lead", "ô", "12"], ["", "tab\there", "new\nline", "\x7f", "٣"]
)
revisions = mostly([1, 2, 10, 2**70], [0, -1, None])
manifests = mostly(["ab" * 32], ["AB" * 32, "ab" * 31, None, "zz" * 32])
decisions = mostly(
    ["approve", "approve_with_recommendations", "reject", "request_changes"], ["nope", None]
)
times = mostly(
    ["2025-03-01T08:30:00.000000Z"],
    [
        "2025-02-30T08:30:00.000000Z",
        "2025-03-01T08:30:00Z",
        "٢٠٢٥-03-01T08:30:00.000000Z",
        "",
    ],
)
sizes = mostly(["0", "7", "99999999999999999999999"], ["07", "٣", "-1", "", "+1"])
roots = mostly(
    [base64.b64encode(b"r" * 32).decode()],
    [base64.b64encode(b"r" * 31).decode(), "***", "", base64.b64encode(b"r" * 32).decode()[:-1]],
)


@st.composite
def signoffs(draw: st.DrawFn) -> tuple[EntryTuple, str]:
    """An entry and its statement: rendered from the entry's own fields, then perhaps with one
    field taken from elsewhere and perhaps with the text altered."""
    fields: dict[str, Any] = {
        "origin": draw(mostly([ORIGIN], ["other/log", ""])),
        "item": draw(words),
        "revision": draw(revisions),
        "manifest": draw(manifests),
        "decision": draw(decisions),
        "role": draw(words),
        "stage": draw(words),
        "signer": draw(words),
    }
    said = dict(fields)
    if draw(st.integers(0, 3)) == 0:
        key = draw(st.sampled_from(sorted(said)))
        said[key] = draw(st.sampled_from(["dana", 1, "ab" * 32, "approve", ORIGIN]))
    said["time"] = draw(times)
    said["checkpoint"] = f"{draw(sizes)} {draw(roots)}"
    text = HEADER + "\n" + "".join(f"{k} {said[k]}\n" for k in FIELDS)
    edit = draw(mostly(["none"], ["space", "crlf", "drop", "extra", "cut"]))
    if edit == "space":
        text = text.replace(" ", "  ", 1)
    elif edit == "crlf":
        text = text.replace("\n", "\r\n", 1)
    elif edit == "drop":
        text = text.replace("\nrole ", "\nrole", 1)
    elif edit == "extra":
        text += "extra line\n"
    elif edit == "cut":
        text = text[: draw(st.integers(0, len(text)))]
    body = {"decision": fields["decision"], "role": fields["role"], "stage": fields["stage"]}
    body["statement"] = text + "\n" + SIGNATURE
    entry = EntryTuple(
        fields["origin"], 5, "0" * 64, "2025-03-01T08:30:00.000000Z", "signoff.decided",
        fields["signer"], fields["item"], fields["revision"], fields["manifest"], None, body,
    )  # fmt: skip
    return entry, text


def slow(entry: EntryTuple) -> object:
    """The verdict by parsing and comparing only (the shortcut turned off)."""
    original = workflow._statement_of_entry
    workflow._statement_of_entry = lambda *_: None
    try:
        return workflow.read_signoff(5, entry)
    finally:
        workflow._statement_of_entry = original


def honest() -> tuple[EntryTuple, str]:
    text = (
        f"{HEADER}\norigin {ORIGIN}\nitem itm_1\nrevision 2\nmanifest {'ab' * 32}\n"
        "decision approve\nrole tp\nstage review\nsigner dana\n"
        f"time 2025-03-01T08:30:00.000000Z\ncheckpoint 4 {base64.b64encode(b'r' * 32).decode()}\n"
    )
    body = {"decision": "approve", "role": "tp", "stage": "review", "statement": text}
    body["statement"] = text + "\n" + SIGNATURE
    entry = EntryTuple(ORIGIN, 5, "0" * 64, "2025-03-01T08:30:00.000000Z", "signoff.decided",
                       "dana", "itm_1", 2, "ab" * 32, None, body)  # fmt: skip
    return entry, text


@given(signoffs())
@example(honest())
@settings(max_examples=1500, deadline=None)
def test_shortcut_agrees_with_parsing(case: tuple[EntryTuple, str]) -> None:
    entry, text = case
    verdict = workflow.read_signoff(5, entry)
    assert verdict == slow(entry)
    shortcut = workflow._statement_of_entry(entry, text, ()) is not None
    event("shortcut" if shortcut else type(verdict).__name__)


def test_the_shortcut_takes_honest_sign_offs() -> None:
    entry, text = honest()
    read = workflow._statement_of_entry(entry, text, ())
    assert isinstance(read, workflow.SignedOff)
    assert read == workflow.read_signoff(5, entry)._replace(signatures=())  # type: ignore[union-attr]
    assert read.checkpoint_size == 4 and read.message == text.encode()
