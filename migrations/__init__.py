"""Alembic migrations for Maze's database (run with `maze db upgrade`)."""
