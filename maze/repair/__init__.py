"""The repair engine: findings on changed lines, candidate fixes cheapest first, each proven before use."""
