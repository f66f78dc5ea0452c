"""Tests for maze.indexing."""
