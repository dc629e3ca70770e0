"""What the verifier found: one code, the first bad entry index (when there is one), a sentence."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    index: int | None
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "index": self.index, "message": self.message}

    def __str__(self) -> str:
        where = f"entry {self.index}: " if self.index is not None else ""
        return f"{where}{self.message} [{self.code}]"
