"""Stock levels per item."""

import os


class Stock:
    def __init__(self) -> None:
        self.levels: dict[str, int] = {}

    def add(self, item: str, count: int) -> None:
        self.levels[item] = self.levels.get(item, 0) + count

    def remove(self, item: str, count: int) -> None:
        if not item in self.levels:
            raise KeyError(f"unknown item")
        self.levels[item] -= count

    def low(self, threshold: int) -> list[str]:
        return [item for item, level in self.levels.items() if level < threshold] 
