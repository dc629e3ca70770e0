"""Receipts: an item's entries with inclusion proofs to one signed checkpoint (pure).

JSON: ``{"format": "clearance-receipt/v1", "item": str, "checkpoint": <signed note>,
"entries": [{"index": int, "leaf": <leaf text>, "proof": [<base64 hash>]}]}``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from clearance.auditlog.checkpoint import open_checkpoint, parse_body
from clearance.auditlog.cosignature import verified_cosignatures
from clearance.auditlog.entry import Entry, parse_leaf
from clearance.auditlog.note import b64decode_strict, b64encode, parse_vkey, split
from clearance.auditlog.proof import inclusion_proof, verify_inclusion
from clearance.auditlog.rfc6962 import leaf_hash
from clearance.auditlog.tree import Levels
from clearance.auditlog.witnesspolicy import WitnessPolicy
from clearance.errors import BadInput, VerificationError

FORMAT = "clearance-receipt/v1"


def build_receipt(
    item_id: str, checkpoint: str, leaves: dict[int, bytes], levels: Levels
) -> dict[str, object]:
    """``leaves`` maps index to leaf bytes; ``levels`` is the tree the checkpoint signs."""
    text, _ = split(checkpoint)
    size = parse_body(text).size
    if levels.root(size) != parse_body(text).root:
        raise BadInput("the checkpoint does not sign the tree given; rebuild the receipt")
    return {
        "format": FORMAT,
        "item": item_id,
        "checkpoint": checkpoint,
        "entries": [
            {
                "index": index,
                "leaf": leaves[index].decode("utf-8"),
                "proof": [b64encode(h) for h in inclusion_proof(levels, index, size)],
            }
            for index in sorted(leaves)
            if index < size
        ],
    }


@dataclass(frozen=True, slots=True)
class ReceiptCheck:
    item: str
    size: int
    entries: tuple[Entry, ...]
    #: the witnesses whose cosignature on the checkpoint verified
    witnesses: tuple[str, ...] = ()


def verify_receipt(text: str, vkey: str, *, witnesses: WitnessPolicy | None = None) -> ReceiptCheck:
    """Raise BadInput for a malformed receipt, VerificationError when it does not hold (with a
    witness policy: also when fewer than its quorum of witnesses cosigned the checkpoint)."""
    key = parse_vkey(vkey)
    try:
        data = json.loads(text)
        item, note, items = data["item"], data["checkpoint"], data["entries"]
        if data["format"] != FORMAT or not isinstance(items, list):
            raise ValueError
    except (ValueError, KeyError, TypeError):
        raise BadInput(f"the receipt is not a {FORMAT} JSON document") from None
    if not isinstance(item, str) or not isinstance(note, str):
        raise BadInput("receipt item and checkpoint must be strings")
    cp = open_checkpoint(note, [key], origin=key.name).checkpoint
    entries: list[Entry] = []
    for n, raw in enumerate(items):
        try:
            index, leaf_text, proof_text = raw["index"], raw["leaf"], raw["proof"]
            proof: Sequence[bytes] = [b64decode_strict(p, "proof hash") for p in proof_text]
            leaf = leaf_text.encode("utf-8")
        except (KeyError, TypeError, AttributeError):
            raise BadInput(f"receipt entry {n} needs index, leaf and proof") from None
        entry = parse_leaf(leaf)
        if entry.seq != index or entry.item != item or entry.origin != cp.origin:
            raise VerificationError(
                f"receipt entry {n} is seq {entry.seq} of item {entry.item!r}, "
                f"want seq {index} of item {item!r}",
                code="receipt.entry_mismatch",
                params={"entry": n, "seq": entry.seq, "want": index, "item": item},
            )
        verify_inclusion(index, cp.size, leaf_hash(leaf), proof, cp.root)
        entries.append(entry)
    if not entries:
        raise VerificationError(
            f"the receipt proves no entry for item {item!r}",
            code="receipt.no_entry",
            params={"item": item},
        )
    cosigned: tuple[str, ...] = ()
    if witnesses is not None:
        cosigned = tuple(sorted(c.name for c in verified_cosignatures(note, witnesses.keys)))
        if len(cosigned) < witnesses.quorum:
            raise VerificationError(
                f"the receipt's checkpoint carries {len(cosigned)} valid cosignature(s) of the "
                f"policy's witnesses, the policy needs {witnesses.quorum}: independent witnesses "
                "have not confirmed this log",
                code="receipt.quorum",
                params={"cosigned": len(cosigned), "quorum": witnesses.quorum},
            )
    return ReceiptCheck(item, cp.size, tuple(entries), cosigned)
