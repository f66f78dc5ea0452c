"""Tests with language models and decoding engines (pytest marker `models`)."""

import pytest

pytestmark = pytest.mark.models
