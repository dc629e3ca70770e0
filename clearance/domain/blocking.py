"""Why a revision is blocked: a stable code and its parameters (the adapters say it in their
user's language, ``webapp/blocking.py``) with the English sentence the CLI and the logs show.

Stored as data in the ``revision.screened`` entry's body and the revision's screening record
(``"blocked": [{"code": ..., "params": {...}, "text": ...}]``); entries written before the codes
hold plain English strings, which ``BlockReason.from_json`` reads as a reason without a code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

#: every code -> the parameters its message names
CODES: dict[str, tuple[str, ...]] = {
    "blocked.title_rules": ("rules",),  # screening rules that block, found in the title
    "blocked.part_rules": ("part", "rules"),  # screening rules that block, found in a part
    "blocked.part_held": ("part", "reason"),  # a part the screening could not fully inspect
    "blocked.part": ("part",),  # a part the screening blocked without a rule
    "blocked.level_unpublishable": ("level",),  # the item's level is never published
    "blocked.channel_level": ("channel", "level"),  # a target channel refuses the level
    "blocked.no_channel": (),  # no target channel was given
    "blocked.channel_type": ("channel", "mime", "part"),  # a channel refuses a file type
}


@dataclass(frozen=True, slots=True)
class BlockReason:
    text: str  # the English sentence
    code: str | None = None  # None: an entry written before the codes
    params: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.code is not None and (
            self.code not in CODES or set(self.params) != set(CODES[self.code])
        ):
            raise ValueError(f"block reason {self.code!r} with params {sorted(self.params)}")

    def __str__(self) -> str:
        return self.text

    def to_json(self) -> dict[str, object]:
        return {"code": self.code, "params": dict(self.params), "text": self.text}

    @classmethod
    def from_json(cls, value: object) -> BlockReason:
        """A stored reason: the coded form, or an old entry's plain string (no code)."""
        if not isinstance(value, Mapping):
            return cls(str(value))
        text, code, raw = str(value.get("text", "")), value.get("code"), value.get("params")
        params = {str(k): str(v) for k, v in raw.items()} if isinstance(raw, Mapping) else {}
        if isinstance(code, str) and code in CODES and set(params) == set(CODES[code]):
            return cls(text, code, params)
        return cls(text)


def coded(code: str, text: str, **params: str) -> BlockReason:
    return BlockReason(text, code, params)
