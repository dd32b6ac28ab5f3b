"""The declared range of every number the system takes, and how stored numbers are read.

Every number that comes in (imports, the event API, forms, JSON bodies, YAML) is checked
against one of these ranges and refused with the field named; the columns hold them with room
to spare (money is `numeric(18, 2)`, counts PostgreSQL `integer`), and whole cents of a money
amount, summed over a million rows, still fit a 64-bit integer.

A value stored before these checks, or by another tool, can be anything SQLite keeps (1e308,
say). Reading code goes through `read_money` / `read_number`, which clamp to the range, so one
absurd row cannot turn a sum into infinity or overflow a cents column and fail a page.
"""

from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field
from sqlalchemy import Float, case, cast
from sqlalchemy.sql.elements import ColumnElement

#: Money: deal amounts, budgets, annual revenue, campaign costs, goal targets (ten trillion).
MONEY_MAX = Decimal("10_000_000_000_000")
#: Counts: employees, reps, capacities, quantities (PostgreSQL `integer` holds 2.1 billion).
COUNT_MAX = 1_000_000_000
#: Other measures (usage values, ratios): finite and within this size.
NUMBER_MAX = 1e13

Money = Annotated[Decimal, Field(ge=0, le=MONEY_MAX, allow_inf_nan=False)]
Count = Annotated[int, Field(ge=0, le=COUNT_MAX)]
Target = Annotated[float, Field(ge=0, le=float(MONEY_MAX), allow_inf_nan=False)]


def limits(type_name: str, non_negative: bool) -> tuple[float, float] | None:
    """The (lowest, highest) value of an import field type ("decimal", "int", "float")."""
    highest = {"decimal": float(MONEY_MAX), "int": COUNT_MAX, "float": NUMBER_MAX}.get(type_name)
    if highest is None:
        return None
    return (0 if non_negative else -highest), highest


def out_of_range(value: Any, type_name: str, non_negative: bool) -> str | None:
    """Why `value` (already parsed) is outside its type's range, or None when it is inside."""
    bounds = limits(type_name, non_negative)
    if bounds is None:
        return None
    low, high = bounds
    if value < 0 and low == 0:
        return "must not be negative"
    if not low <= value <= high:
        return f"out of range ({low:,.0f} to {high:,.0f})"
    return None


def clamp(column: Any, highest: Decimal | float) -> ColumnElement[Any]:
    """`column` limited to +-`highest`, in the column's own type (a Decimal bound keeps a
    numeric sum numeric on PostgreSQL)."""
    return case((column > highest, highest), (column < -highest, -highest), else_=column)


def read_money(column: Any) -> ColumnElement[float]:
    """`column` as a float, clamped to the money range (see the module's note)."""
    return cast(clamp(column, MONEY_MAX), Float)


def read_number(column: Any, highest: float = NUMBER_MAX) -> ColumnElement[float]:
    """`column` as a float, clamped to +-`highest`."""
    return cast(clamp(column, highest), Float)
