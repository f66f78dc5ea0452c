"""GitHub's REST description, a slim vendored extract of `@octokit/openapi` (see PROVENANCE.md)."""
