"""Tests of the sample repository's stock levels."""

import pytest

from inventory.stock import Stock


def test_add_accumulates() -> None:
    stock = Stock()
    stock.add("bolt", 3)
    stock.add("bolt", 2)
    assert stock.levels["bolt"] == 5


def test_remove_unknown_item_raises() -> None:
    with pytest.raises(KeyError):
        Stock().remove("nut", 1)


def test_low_lists_items_under_the_threshold() -> None:
    stock = Stock()
    stock.add("bolt", 1)
    stock.add("nut", 10)
    assert stock.low(5) == ["bolt"]
