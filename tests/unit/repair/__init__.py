"""Unit tests of the repair engine."""
