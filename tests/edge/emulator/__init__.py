"""Tests of the GitHub emulator: GitHub's status codes, shapes, limits and its REST description."""
