"""Candidate generation by language models under grammar constraints."""
