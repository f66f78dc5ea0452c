"""GitHub's REST API as Maze uses it: app authentication and an installation-scoped client."""
