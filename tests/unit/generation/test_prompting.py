"""Repair prompts: what they carry, the token budget, determinism, and templates read from files."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pytest

import maze.generation
from maze.generation.prompting import EarlierAttempt, PromptTooLarge, RepairInputs, repair_prompt
from maze.indexing.extract import extract
from maze.indexing.model import FileIndex
from maze.indexing.repomap import estimate_tokens
from maze.validators.model import Diagnostic

SHOP = '''"""Orders."""
from shop.pricing import Discount, apply_discount


class Order:
    """An order of items."""

    def __init__(self, items: list[int]) -> None:
        self.items = items

    def total(self, discount: Discount) -> int:
        subtotal = sum(self.items)
        price = "${subtotal} {0}"
        return apply_discount(subtotl, discount)


def summary(order: Order) -> str:
    return f"{len(order.items)} items"
'''
PRICING = '''"""Prices."""


class Discount:
    def __init__(self, percent: int) -> None:
        self.percent = percent


def apply_discount(amount: int, discount: Discount) -> int:
    return amount - amount * discount.percent // 100


def unrelated_helper(value: str) -> str:
    return value.strip()
'''
REPORT = '''"""Reports."""
from shop.models import Order, summary


def report(orders: list[Order]) -> list[str]:
    return [summary(order) for order in orders]
'''
SOURCES = {"shop/models.py": SHOP, "shop/pricing.py": PRICING, "shop/report.py": REPORT}
DIAGNOSTIC = Diagnostic(
    "mypy", "shop/models.py", 14, 31, 14, 38, "name-defined", 'Name "subtotl" is not defined'
)


def index() -> dict[str, FileIndex]:
    return {path: extract(path, text.encode(), "python") for path, text in SOURCES.items()}


def inputs(files: dict[str, FileIndex] | None = None) -> RepairInputs:
    return RepairInputs(
        diagnostic=DIAGNOSTIC,
        source=SHOP,
        language="python",
        files=index() if files is None else files,
        changed=["shop/models.py"],
        output="one Python statement at 8 spaces of indentation",
    )


def test_the_prompt_carries_diagnostic_code_signatures_and_repo_map() -> None:
    prompt = repair_prompt(inputs(), 2000)
    system, user = prompt.messages
    assert (system.role, user.role) == ("system", "user")
    assert "You repair python code" in system.content
    assert (
        'mypy reports name-defined at shop/models.py line 14, column 31:\nName "subtotl" is not defined'
        in (user.content)
    )
    assert "> 14 |         return apply_discount(subtotl, discount)" in user.content
    assert "  12 |         subtotal = sum(self.items)" in user.content
    assert "shop/pricing.py:9: def apply_discount(amount: int, discount: Discount) -> int" in user.content
    assert "  4: class Discount" in user.content
    assert "discount: Discount (parameter, line 11)" in user.content
    assert (
        "Repository map (the definitions most related to the changed files):\nshop/pricing.py:"
        in user.content
    )
    assert (
        "Write the code that replaces lines 14 to 14 of shop/models.py (one Python statement" in user.content
    )
    assert '"${subtotl} {0}"' not in user.content and '"${subtotal} {0}"' in user.content
    assert prompt.tokens == estimate_tokens(system.content) + estimate_tokens(user.content)
    assert prompt.context_lines == 13  # the whole file fits: 13 lines above line 14, 5 below
    assert prompt.signatures >= 3
    assert prompt.repo_map_symbols > 0


def test_every_budget_is_kept_and_a_bigger_one_shows_at_least_as_much() -> None:
    previous = None
    for budget in range(215, 1200, 15):
        prompt = repair_prompt(inputs(), budget)
        assert prompt.tokens <= budget
        shown = (prompt.context_lines, prompt.signatures, prompt.repo_map_symbols)
        if previous is not None:
            assert shown >= previous or sum(shown) >= sum(previous), (budget, shown, previous)
            assert prompt.context_lines >= previous[0]
        previous = shown
    assert previous is not None and previous == (13, previous[1], previous[2]) and previous[2] > 0


def test_a_small_budget_keeps_the_lines_to_replace_and_drops_the_rest() -> None:
    prompt = repair_prompt(inputs(), 230)
    user = prompt.messages[1].content
    assert "> 14 |" in user
    assert prompt.tokens <= 230
    assert user.count("(none)") >= 1


def test_a_budget_too_small_for_the_diagnostic_is_an_error() -> None:
    with pytest.raises(PromptTooLarge, match="more than the budget of 200"):
        repair_prompt(inputs(), 200)


def test_the_same_inputs_give_the_same_prompt_whatever_the_index_order() -> None:
    files = index()
    shuffled = list(files.items())
    random.Random(3).shuffle(shuffled)
    assert repair_prompt(inputs(files), 700) == repair_prompt(inputs(dict(shuffled)), 700)


def test_lines_outside_the_file_are_an_error() -> None:
    bad = RepairInputs(DIAGNOSTIC, "x = 1\n", "python", {}, [], "an expression")
    with pytest.raises(ValueError, match="not a range of the file, which has 1 lines"):
        repair_prompt(bad)


def test_an_unindexed_language_still_gets_code_and_diagnostic() -> None:
    source = "let total = 1;\nconsole.log(totl);\n"
    diagnostic = Diagnostic("tsc", "a.ts", 2, 13, 2, 17, "TS2304", "Cannot find name 'totl'.")
    prompt = repair_prompt(
        RepairInputs(diagnostic, source, "typescript", {}, [], "a TypeScript statement"), 500
    )
    assert ">  2 | console.log(totl);" not in prompt.messages[1].content
    assert "> 2 | console.log(totl);" in prompt.messages[1].content


def test_templates_are_files_shipped_in_the_package() -> None:
    prompts = Path(maze.generation.__file__).parent / "prompts"
    assert {"repair.system.txt", "repair.user.txt"} <= {path.name for path in prompts.iterdir()}
    assert "$signatures" in (prompts / "repair.user.txt").read_text()


NOT_DEFINED = 'shop/models.py:14:31: error: Name "subtotal_" is not defined [mypy name-defined]'
TYPE_WRONG = (
    'shop/models.py:14:16: error: Incompatible return value type (got "str", expected "int")'
    " [mypy return-value]"
)


def test_earlier_attempts_are_shown_with_what_went_wrong_in_the_order_they_were_made() -> None:
    attempts = (
        EarlierAttempt(
            "        return apply_discount(subtotal_, discount)\n", f"new diagnostics: {NOT_DEFINED}"
        ),
        EarlierAttempt("        return str(subtotal)\n", f"new diagnostics: {TYPE_WRONG}"),
    )
    prompt = repair_prompt(replace(inputs(), attempts=attempts), 2000)
    user = prompt.messages[1].content
    assert prompt.attempts == 2 and prompt.tokens <= 2000
    assert (
        "Attempt 1:\n|         return apply_discount(subtotal_, discount)\n"
        f"What went wrong: new diagnostics: {NOT_DEFINED}\n"
        "Attempt 2:\n|         return str(subtotal)\n"
        f"What went wrong: new diagnostics: {TYPE_WRONG}\n\nWrite the code"
    ) in user
    # The section comes after the context and says how to use the attempts.
    assert user.index("Repository map") < user.index("Do not write them again") < user.index("Attempt 1:")
    first = repair_prompt(inputs(), 2000).messages[1].content
    assert "Attempt" not in first and "\n\nWrite the code" in first


def test_a_short_budget_drops_the_oldest_attempts_first_and_never_fails_for_them() -> None:
    attempts = tuple(
        EarlierAttempt(
            f"        return apply_discount(subtotal + {n}, discount)\n", f"attempt {n} " + "x " * 40
        )
        for n in range(1, 9)
    )
    previous = 0
    for budget in range(215, 2400, 50):
        prompt = repair_prompt(replace(inputs(), attempts=attempts), budget)
        user = prompt.messages[1].content
        assert prompt.tokens <= budget
        shown = [n for n in range(1, 9) if f"Attempt {n}:" in user]
        assert shown == list(range(9 - prompt.attempts, 9))  # the newest ones, numbered as made
        assert prompt.attempts >= previous
        previous = prompt.attempts
    assert repair_prompt(replace(inputs(), attempts=attempts), 215).attempts == 0
    assert previous == 8


def test_a_deleting_attempt_and_a_long_failure_are_shown_briefly() -> None:
    attempt = EarlierAttempt("", "new diagnostics: " + "y " * 1000)
    user = repair_prompt(replace(inputs(), attempts=(attempt,)), 2000).messages[1].content
    assert "Attempt 1:\n| (nothing: the lines were deleted)\nWhat went wrong: new diagnostics: y y" in user
    failure = user.split("What went wrong: ")[1].split("\n")[0]
    assert len(failure) <= 600 and failure.endswith("...")
