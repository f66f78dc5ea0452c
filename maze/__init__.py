"""Maze's engine: finding problems on changed lines, building fixes, proving them. No network I/O here."""
