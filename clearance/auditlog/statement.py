"""Sign-off statements: the exact text an approver signs, as a C2SP signed note (pure).

The text layout (header and fields in order) is ``clearance.approval.statement``; the decision
words are ``clearance.approval.DecisionKind``. The note is signed by the approver's key, whose
name is the username.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from clearance.approval.decision import DecisionKind
from clearance.approval.statement import FIELDS, HEADER, render
from clearance.auditlog.entry import parse_time
from clearance.auditlog.note import Verifier, b64decode_strict, b64encode, open_note
from clearance.errors import BadInput

__all__ = ["FIELDS", "HEADER", "SignOff", "SignedStatement", "parse_statement", "verify_statement"]

_HEX64 = re.compile(r"[0-9a-f]{64}")
_CONTROL = re.compile("[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class SignOff:
    origin: str
    item: str
    revision: int
    manifest: str
    decision: DecisionKind
    role: str
    stage: str
    signer: str
    time: str
    checkpoint_size: int
    checkpoint_root: bytes

    def __post_init__(self) -> None:
        for name in ("origin", "item", "role", "stage", "signer"):
            value = getattr(self, name)
            if not value or _CONTROL.search(value):
                raise BadInput(f"sign-off {name} {value!r} is empty or has control characters")
        if self.revision < 1:
            raise BadInput(f"sign-off revision must be 1 or more, got {self.revision}")
        if not _HEX64.fullmatch(self.manifest):
            raise BadInput(f"sign-off manifest must be 64 lowercase hex, got {self.manifest!r}")
        parse_time(self.time)
        if self.checkpoint_size < 0 or len(self.checkpoint_root) != 32:
            raise BadInput("sign-off checkpoint needs a size and a 32-byte root")

    def text(self) -> str:
        values = {
            "origin": self.origin,
            "item": self.item,
            "revision": str(self.revision),
            "manifest": self.manifest,
            "decision": self.decision.value,
            "role": self.role,
            "stage": self.stage,
            "signer": self.signer,
            "time": self.time,
            "checkpoint": f"{self.checkpoint_size} {b64encode(self.checkpoint_root)}",
        }
        return render(values)


def parse_statement(text: str) -> SignOff:
    lines = text.split("\n")
    if lines[-1] != "" or len(lines) != len(FIELDS) + 2 or lines[0] != HEADER:
        raise BadInput(f"a sign-off statement has a {HEADER} header and {len(FIELDS)} fields")
    values: dict[str, str] = {}
    for want, line in zip(FIELDS, lines[1:-1], strict=True):
        key, sep, value = line.partition(" ")
        if key != want or not sep:
            raise BadInput(f"sign-off statement line {line[:40]!r} should start with {want!r}")
        values[want] = value
    size_text, _, root_text = values["checkpoint"].partition(" ")
    if not size_text.isdigit() or not values["revision"].isdigit():
        raise BadInput("sign-off revision and checkpoint size must be decimal numbers")
    try:
        decision = DecisionKind(values["decision"])
    except ValueError:
        raise BadInput(f"sign-off decision {values['decision']!r} is unknown") from None
    statement = SignOff(
        origin=values["origin"],
        item=values["item"],
        revision=int(values["revision"]),
        manifest=values["manifest"],
        decision=decision,
        role=values["role"],
        stage=values["stage"],
        signer=values["signer"],
        time=values["time"],
        checkpoint_size=int(size_text),
        checkpoint_root=b64decode_strict(root_text, "sign-off checkpoint root"),
    )
    if statement.text() != text:
        raise BadInput("sign-off statement is not in canonical form")
    return statement


@dataclass(frozen=True, slots=True)
class SignedStatement:
    statement: SignOff
    note: str
    vkey: str


def verify_statement(note: str, vkey: Verifier) -> SignOff:
    """Check the approver's signature and parse the statement; raise on any failure."""
    opened = open_note(note, [vkey])
    statement = parse_statement(opened.text)
    if statement.signer != vkey.name:
        raise BadInput(
            f"statement signer {statement.signer!r} is not the key's owner {vkey.name!r}"
        )
    return statement
