"""Tests of the GitHub edge: the webhook receiver, the emulator, the review task against it."""
