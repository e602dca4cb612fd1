"""FEEL numbers: decimal128 (34 significant digits, round half even), as the spec asks.

Every computed number passes through feel_number: in range, rounded to 34 digits, no negative zero.
"""

from __future__ import annotations

import decimal
from decimal import Decimal
from typing import Any

from composite.feel._errors import FeelRuntimeError

FEEL_CONTEXT = decimal.Context(
    prec=34, rounding=decimal.ROUND_HALF_EVEN, Emax=6144, Emin=-6143, capitals=1, clamp=1, traps=[]
)


def is_number(value: Any) -> bool:
    """True for a FEEL number: a finite Decimal (bool is not a number)."""
    return type(value) is Decimal and value.is_finite()


def feel_number(value: Decimal) -> Decimal:
    """A computed Decimal as a FEEL number: in decimal128 (34 digits), -0 read as 0, no infinity."""
    result = FEEL_CONTEXT.plus(value)
    if not result.is_finite():
        raise FeelRuntimeError(f"number out of range: {value}")
    # -0 and -0.00 are zero with a sign FEEL does not have; keep the scale, drop the sign
    return result if result or not result.is_signed() else result.copy_abs()

