"""docs/feel.md's table of examples is what FEEL gives, and its first code block runs as written."""

from __future__ import annotations

import re

import pytest

from composite.feel import FeelSyntaxError, compile_expression
from composite.feel.values import feel_string
from tests.conftest import REPO

PAGE = (REPO / "docs" / "feel.md").read_text(encoding="utf-8")
TABLE = PAGE[PAGE.index("| expression | value |"):]
ROWS = re.findall(r"^\| `(.+?)` \| `(.+?)` \|$", TABLE[: TABLE.index("\n\n")], flags=re.M)


def test_the_page_has_its_examples() -> None:
    assert len(ROWS) >= 15


@pytest.mark.parametrize(("text", "written"), ROWS)
def test_example(text: str, written: str) -> None:
    assert feel_string(compile_expression(text).evaluate({})) == written


def test_the_syntax_error_quoted_on_the_page() -> None:
    with pytest.raises(FeelSyntaxError) as caught:
        compile_expression("if x then 1")
    message = str(caught.value).removesuffix(" [feel_syntax]")
    assert message in " ".join(PAGE.split())


def test_the_first_code_block_gives_what_its_comments_say() -> None:
    from decimal import Decimal

    from composite.feel import compile_unary_tests

    rate = compile_expression("Monthly Debt / Monthly Income", names=["Monthly Debt", "Monthly Income"])
    assert rate.evaluate({"Monthly Debt": Decimal(500), "Monthly Income": Decimal(2000)}) == Decimal("0.25")
    notes: list[str] = []
    assert rate.evaluate({"Monthly Debt": Decimal(1), "Monthly Income": Decimal(0)}, notes=notes) is None
    assert notes == ["Monthly Debt / Monthly Income: division by zero -> null"]
    assert rate.evaluate_columns({"Monthly Debt": [Decimal(500), None],
                                  "Monthly Income": [Decimal(2000), Decimal(1)]}) == [Decimal("0.25"), None]
    assert compile_unary_tests("< 18, [65..120]").test(Decimal(70)) is True
    assert "notes   # ['Monthly Debt / Monthly Income: division by zero -> null']" in PAGE
