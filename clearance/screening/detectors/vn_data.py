"""Reference data for Vietnamese identifiers (test data, not secrets).

Province codes are the first three digits of a 12-digit CCCD / personal identification number
(63 provinces, numbering of Thông tư 07/2016/TT-BCA; verify against the current text before relying
on it for anything but a screening hint). Mobile prefixes follow the 2018 ten-digit renumbering.
"""

from __future__ import annotations

PROVINCE_CODES: frozenset[str] = frozenset(
    f"{code:03d}"
    for code in (
        1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35, 36,
        37, 38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74,
        75, 77, 79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96,
    )
)  # fmt: skip

# Second and third digits of a ten-digit mobile number "0XY.......".
MOBILE_PREFIXES: frozenset[str] = frozenset(
    [f"3{d}" for d in range(2, 10)]
    + ["52", "55", "56", "58", "59", "70", "76", "77", "78", "79"]
    + [f"8{d}" for d in range(1, 10)]
    + ["90", "91", "92", "93", "94", "96", "97", "98", "99"]
)
