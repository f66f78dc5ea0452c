"""Per-language scope rules behind `maze.indexing.scope`: one module per grammar family."""
