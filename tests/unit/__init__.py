"""Unit tests of the engine (maze/) and of small pieces of the edge."""
