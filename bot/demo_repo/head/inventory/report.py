"""Plain-text stock reports."""

import json
import sys

from inventory.stock import Stock


def render(stock: Stock, title=None) -> str:
    if title == None:
        title = "Stock"
    lines = [f"{title}", "=" * len(title)]
    for item, level in sorted(stock.levels.items()):
        lines.append(f"{item}: {level}")
    return "\n".join(lines)


def save(stock: Stock, path: str) -> None:
    try:
        with open(path, "w") as handle:
            handle.write(render(stock))
    except:
        sys.stderr.write(f"could not write the report\n")
