"""Linters Maze runs on changed files."""
