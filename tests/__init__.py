"""Maze's test suite."""
