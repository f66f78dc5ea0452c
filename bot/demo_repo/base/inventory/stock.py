"""Stock levels per item."""


class Stock:
    def __init__(self) -> None:
        self.levels: dict[str, int] = {}

    def add(self, item: str, count: int) -> None:
        self.levels[item] = self.levels.get(item, 0) + count

    def remove(self, item: str, count: int) -> None:
        if item not in self.levels:
            raise KeyError(item)
        self.levels[item] -= count
