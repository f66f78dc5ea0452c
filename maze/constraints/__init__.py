"""Grammars for constrained generation: GBNF parsing and checks, the grammar library, scoped grammars
narrowed to the names in scope, and conversion to the notations servers take (`library`, `scoped`,
`convert`, `check`, `gbnf`). Nothing heavy is imported here."""
