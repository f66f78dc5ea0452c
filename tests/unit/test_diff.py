"""Hunk parsing of GitHub `patch` fields."""

import pytest

from maze.diff import PatchError, parse_patch

PATCH = """@@ -1,4 +1,5 @@
 a
-b
+B
+B2
 c
 d
@@ -20,3 +21,3 @@ def f():
 x
-y
+Y
 z
\\ No newline at end of file"""


def test_right_and_added_lines() -> None:
    patch = parse_patch("f.py", PATCH)
    assert len(patch.hunks) == 2
    assert patch.hunks[0].right_lines == {1, 2, 3, 4, 5}
    assert patch.added_lines == {2, 3, 22}
    assert patch.hunks[1].right_lines == {21, 22, 23}


def test_hunk_for_requires_one_hunk() -> None:
    patch = parse_patch("f.py", PATCH)
    assert patch.hunk_for(2, 5) is patch.hunks[0]
    assert patch.hunk_for(5, 21) is None
    assert patch.hunk_for(10, 10) is None
    assert patch.hunk_for(23, 23) is patch.hunks[1]


def test_new_file_and_missing_patch() -> None:
    added = parse_patch("n.py", "@@ -0,0 +1,2 @@\n+one\n+two")
    assert added.added_lines == {1, 2}
    assert parse_patch("bin.png", None).hunks == ()


def test_garbage_patch_is_an_error() -> None:
    with pytest.raises(PatchError, match=r"g\.py"):
        parse_patch("g.py", "@@ -1,2 +1,2 @@\n+only one line")
