"""``clearance.canonical`` against RFC 8785 (the ``rfc8785`` package as the oracle): equal bytes
over the subset its docstring states, and the stated differences outside it."""

from __future__ import annotations

from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from clearance.canonical import canonical_bytes, canonical_json
from clearance.errors import BadInput

SAFE = 2**53 - 1
#: keys whose code-point order is their UTF-16 order: no surrogates, nothing in U+E000..U+FFFF
keys = st.text(
    st.characters(exclude_categories=("Cs",)).filter(lambda c: not "\ue000" <= c <= "\uffff")
)
texts = st.text(st.characters(exclude_categories=("Cs",))) | st.sampled_from(
    ["\x00\x1f\x7f\u2028\u2029", '"\\/\b\f\n\r\t', "\ue000\uffff\U0001f600", "Mật"]
)
scalars = st.none() | st.booleans() | st.integers(-SAFE, SAFE) | texts
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(keys, inner, max_size=5),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(values)
def test_inside_the_subset_the_bytes_are_rfc8785s(value: Any) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)
    assert canonical_bytes(value) == rfc8785.dumps(value)


def test_known_answer() -> None:
    # RFC 8785 §3.2.3 key order and escapes, within the subset
    value = {"b": [True, None, -0, SAFE], "a": "é\n\u001f", "\u20ac": {"\u00e9": ""}, "1": 1}
    expected = b'{"1":1,"a":"\xc3\xa9\\n\\u001f","b":[true,null,0,9007199254740991],"\xe2\x82\xac":{"\xc3\xa9":""}}'
    assert canonical_json(value) == expected == rfc8785.dumps(value)


def test_keys_sort_by_code_point_where_jcs_sorts_by_utf16() -> None:
    value = {"\ue000": 1, "\U0001f600": 2}
    assert canonical_json(value) == '{"\ue000":1,"\U0001f600":2}'.encode()
    assert rfc8785.dumps(value) == '{"\U0001f600":2,"\ue000":1}'.encode()


def test_integers_beyond_doubles_are_written_exactly_where_jcs_refuses() -> None:
    assert canonical_json([SAFE + 1]) == b"[9007199254740992]"
    with pytest.raises(rfc8785.IntegerDomainError):
        rfc8785.dumps([SAFE + 1])


@pytest.mark.parametrize(
    ("value", "message"),
    [(1.5, "float at \\$"), ({"a": [0.0]}, "float at \\$.a\\[0\\]"), ({1: "x"}, "keys must be"),
     ("\ud800", "lone surrogate")],
)  # fmt: skip
def test_outside_values_are_refused_with_a_reason(value: Any, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        canonical_json(value)
