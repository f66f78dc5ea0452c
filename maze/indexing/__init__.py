"""Repository indexing: tree-sitter extraction of definitions, imports and references per file."""
