"""Ledger names and origins."""

from __future__ import annotations

import pytest

from civicledger import ValidationError
from civicledger.store.identity import check_ledger_name, check_origin, make_origin


def test_generated_origin_names_the_ledger_and_is_unique() -> None:
    """A generated origin contains the (sanitised) name and a random part."""
    first, second = make_origin("社区 x"), make_origin("社区 x")
    assert first.startswith("civicledger.local/___x/")
    assert first != second
    assert check_origin(first) == first


@pytest.mark.parametrize("origin", ["", "a b", "tab\there", "line\nbreak", "中文", "x" * 256, 7])
def test_unacceptable_origins_are_refused(origin: object) -> None:
    """Origins must be 1-255 printable ASCII characters without spaces."""
    with pytest.raises(ValidationError) as caught:
        check_origin(origin)
    assert caught.value.field == "origin"


@pytest.mark.parametrize("name", ["", "a\nb", None, "x" * 201])
def test_unacceptable_ledger_names_are_refused(name: object) -> None:
    """Ledger names must be non-empty text without control characters."""
    with pytest.raises(ValidationError) as caught:
        check_ledger_name(name)
    assert caught.value.field == "ledger"
