"""Validators: syntax, lint, types, tests and security checks on a tree, and the differential verdict."""
