"""Refuse Ed25519 public keys that are non-canonical, not on the curve, or not of prime order.

Implemented here (pure integers, registration-time only, not constant time: public keys are public)
because ``cryptography`` accepts such keys and verification results on them differ between
libraries (see C2SP/CCTV ``ed25519``). A key is accepted only when its encoding is canonical
(y < p, no "negative zero" x), it decodes to a curve point, it is none of the 8 small-order points,
and it has no small-order component ([L]A is the identity).
"""

from __future__ import annotations

from clearance.errors import BadInput

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = (-121665 * pow(121666, P - 2, P)) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)

# Canonical encodings of the 8 points of order dividing 8 (identity, order 2, 4 and 8).
SMALL_ORDER_ENCODINGS = frozenset(
    bytes.fromhex(h)
    for h in (
        "0100000000000000000000000000000000000000000000000000000000000000",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000080",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    )
)

Point = tuple[int, int, int, int]  # extended coordinates X, Y, Z, T
IDENTITY: Point = (0, 1, 1, 0)


def _add(p1: Point, p2: Point) -> Point:
    x1, y1, z1, t1 = p1
    x2, y2, z2, t2 = p2
    a = (y1 - x1) * (y2 - x2) % P
    b = (y1 + x1) * (y2 + x2) % P
    c = 2 * D * t1 * t2 % P
    d = 2 * z1 * z2 % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def scalar_mult(k: int, point: Point) -> Point:
    result = IDENTITY
    addend = point
    while k:
        if k & 1:
            result = _add(result, addend)
        addend = _add(addend, addend)
        k >>= 1
    return result


def is_identity(point: Point) -> bool:
    x, y, z, _ = point
    return x % P == 0 and (y - z) % P == 0


def decode_point(encoded: bytes) -> Point:
    """Decode a 32-byte point strictly; raise BadInput if non-canonical or off the curve."""
    if len(encoded) != 32:
        raise BadInput(f"an Ed25519 public key has 32 bytes, got {len(encoded)}")
    value = int.from_bytes(encoded, "little")
    sign = value >> 255
    y = value & ((1 << 255) - 1)
    if y >= P:
        raise BadInput("the Ed25519 public key is non-canonical (y >= p); generate a new key")
    u = (y * y - 1) % P
    v = (D * y * y + 1) % P
    x = u * pow(v, 3, P) * pow(u * pow(v, 7, P), (P - 5) // 8, P) % P
    vxx = v * x * x % P
    if vxx == (-u) % P:
        x = x * SQRT_M1 % P
    elif vxx != u:
        raise BadInput("the Ed25519 public key is not a point on the curve; generate a new key")
    if x == 0 and sign:
        raise BadInput(
            "the Ed25519 public key is non-canonical (negative zero x); generate a new key"
        )
    if x & 1 != sign:
        x = P - x
    return (x, y, 1, x * y % P)


def check_public_key(encoded: bytes) -> None:
    """Raise BadInput unless ``encoded`` is a canonical Ed25519 key of prime order L."""
    point = decode_point(encoded)
    if encoded in SMALL_ORDER_ENCODINGS or is_identity(scalar_mult(8, point)):
        raise BadInput(
            "the Ed25519 public key has small order and proves nothing; generate a new key"
        )
    if not is_identity(scalar_mult(L, point)):
        raise BadInput(
            "the Ed25519 public key has a small-order component (mixed order); generate a new key"
        )
