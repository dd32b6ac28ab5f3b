"""One strict id type for every path, query, body and CLI id.

Pydantic's lax integers read `+43`, `43.0`, `4_3` and ` 43` as 43, and `str.isdigit()` takes
"²" and "٤", so a check that looks at the raw text and the handler that reads the parsed value
could disagree about which record is meant. Here an id is ASCII decimal digits only, bounded by
the database's integer range; the route parameters (`tandem.web.ids`) and the permission check
both parse it with `parse_id`: one spelling per record, so an object rule cannot be skipped by
the format.
"""

import re
from typing import Annotated

from pydantic import BeforeValidator, Field

#: Largest id a column may hold on every backend (PostgreSQL `integer`).
MAX_ID = 2_147_483_647
_DIGITS = re.compile(r"[0-9]+")  # ASCII only: `\d` and isdigit() take "٤" and "²"


class BadId(ValueError):
    """Not an id: not decimal digits only, or outside 1..MAX_ID."""


def parse_id(raw: object) -> int:
    """The id `raw` spells, or `BadId`: a Python int in range, or text of decimal digits
    only (no sign, point, underscore, space, exponent or non-ASCII digit)."""
    if isinstance(raw, bool):
        raise BadId(f"{raw!r} is not an id")
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and _DIGITS.fullmatch(raw):
        value = int(raw) if len(raw) <= 10 else MAX_ID + 1
    else:
        raise BadId(f"{str(raw)[:40]!r} is not an id (decimal digits only)")
    if not 1 <= value <= MAX_ID:
        raise BadId(f"{str(raw)[:40]} is not an id (1 to {MAX_ID})")
    return value


def as_id(raw: str) -> int | None:
    """`parse_id`, or None when `raw` is not an id (for "an id or an email" arguments)."""
    try:
        return parse_id(raw.strip())
    except BadId:
        return None


def _strict(raw: object) -> int:
    try:
        return parse_id(raw)
    except BadId as exc:
        raise ValueError(str(exc)) from None


STRICT_ID = BeforeValidator(_strict)
ID_RULE = f"Decimal digits only, 1 to {MAX_ID}."

#: An id inside a body or a form.
BodyId = Annotated[int, Field(ge=1, le=MAX_ID, description=ID_RULE), STRICT_ID]
