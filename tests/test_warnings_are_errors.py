"""Outside the folders not yet strict (``tests/conftest.py``: ``NOT_YET_STRICT``) every
warning is an error: a deprecation or a leaked resource fails the test that causes it."""

from __future__ import annotations

import gc
import warnings

import pytest


def test_a_deprecation_warning_fails_the_test() -> None:
    with pytest.raises(DeprecationWarning, match="old API"):
        warnings.warn("old API", DeprecationWarning, stacklevel=1)


def test_a_resource_warning_fails_the_test() -> None:
    with pytest.raises(ResourceWarning, match="unclosed"):
        warnings.warn("unclosed file", ResourceWarning, stacklevel=1)
    gc.collect()
