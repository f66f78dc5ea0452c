"""Telling standing, applied and outdated suggestions apart on a new head."""

from maze.outdated import Fate, fate

OLD = "a\nb\nimport os\nc\nd\n"


def test_untouched_lines_are_standing_even_when_they_moved() -> None:
    assert fate(OLD, 3, 3, "", OLD) is Fate.STANDING
    assert fate(OLD, 3, 3, "", "new\n" + OLD) is Fate.STANDING


def test_a_deletion_that_happened_is_applied_and_other_edits_are_outdated() -> None:
    assert fate(OLD, 3, 3, "", "a\nb\nc\nd\n") is Fate.APPLIED
    assert fate(OLD, 3, 3, "", "a\nb\nimport os.path\nc\nd\n") is Fate.OUTDATED


def test_a_replacement_that_happened_is_applied() -> None:
    assert fate(OLD, 3, 3, "import sys\n", "a\nb\nimport sys\nc\nd\n") is Fate.APPLIED
    assert fate(OLD, 3, 3, "import sys\n", "a\nb\nimport re\nc\nd\n") is Fate.OUTDATED


def test_a_deleted_file_makes_it_outdated() -> None:
    assert fate(OLD, 3, 3, "", None) is Fate.OUTDATED
