"""Which witnesses count, and how many must cosign: a small policy file, standard library only
(the offline verifier reads it).

Format, one statement per line, ``#`` starts a comment::

    witness <cosignature vkey> [<url>]     # a witness: its key (type 04) and its submission URL
    quorum <k> | all                       # how many distinct witnesses must cosign (default all)

The URL is the witness's prefix: the log POSTs ``<url>/add-checkpoint`` and an auditor GETs
``<url>/checkpoint?origin=...``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from clearance.auditlog.cosignature import CosignerKey, parse_cosigner_vkey
from clearance.errors import BadInput


@dataclass(frozen=True, slots=True)
class WitnessSpec:
    key: CosignerKey
    url: str | None

    @property
    def name(self) -> str:
        return self.key.name


@dataclass(frozen=True, slots=True)
class WitnessPolicy:
    witnesses: tuple[WitnessSpec, ...]
    quorum: int

    def __post_init__(self) -> None:
        if not self.witnesses:
            raise BadInput("a witness policy needs at least one witness")
        if not 1 <= self.quorum <= len(self.witnesses):
            raise BadInput(
                f"quorum {self.quorum} is outside 1..{len(self.witnesses)} (the witnesses listed)"
            )

    @property
    def keys(self) -> list[CosignerKey]:
        return [w.key for w in self.witnesses]


def _url(text: str, where: str) -> str:
    if not text.startswith(("http://", "https://")) or " " in text:
        raise BadInput(f"{where}: witness URL {text!r} must start with http:// or https://")
    return text.rstrip("/")


def parse_policy(text: str, source: str = "witness policy") -> WitnessPolicy:
    """Parse a policy; every error names ``source:line`` and says what to write instead."""
    witnesses: list[WitnessSpec] = []
    quorum: int | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        where = f"{source}:{number}"
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        words = line.split()
        if words[0] == "witness" and len(words) in (2, 3):
            try:
                key = parse_cosigner_vkey(words[1])
            except BadInput as exc:
                raise BadInput(f"{where}: {exc}") from None
            if any(w.name == key.name for w in witnesses):
                raise BadInput(f"{where}: witness {key.name} is listed twice")
            url = _url(words[2], where) if len(words) == 3 else None
            witnesses.append(WitnessSpec(key, url))
        elif words[0] == "quorum" and len(words) == 2:
            if quorum is not None:
                raise BadInput(f"{where}: quorum is given twice")
            if words[1] == "all":
                quorum = -1
            elif words[1].isascii() and words[1].isdigit():
                quorum = int(words[1])
            else:
                raise BadInput(f"{where}: quorum must be a whole number or 'all', got {words[1]!r}")
        else:
            raise BadInput(
                f"{where}: expected 'witness <vkey> [<url>]' or 'quorum <k>|all', got {line[:60]!r}"
            )
    if not witnesses:
        raise BadInput(f"{source}: no witness is listed; add 'witness <vkey> <url>' lines")
    chosen = len(witnesses) if quorum in (None, -1) else quorum
    try:
        return WitnessPolicy(tuple(witnesses), chosen)
    except BadInput as exc:
        raise BadInput(f"{source}: {exc}") from None


def load_policy(path: Path) -> WitnessPolicy:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadInput(f"witness policy {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"witness policy {path} cannot be read ({exc})") from None
    return parse_policy(text, str(path))
