"""Field types of the record forms and API bodies: each says in its message what is wrong.

Text is trimmed (empty is "not given"), bounded, and refused when it holds control
characters; HTML in it is kept as typed and escaped where shown. Amounts are money within
`tandem.bounds`, with at most two decimals, as the columns hold them.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    StringConstraints,
    create_model,
)

from tandem.bounds import MONEY_MAX

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")


def _text(value: Any) -> Any:
    if isinstance(value, str):
        if _CONTROL.search(value):
            raise ValueError("contains control characters")
        return value.strip() or None
    return value


def _required(value: Any) -> Any:
    value = _text(value)
    if value is None:
        raise ValueError("is required")
    return value


def _email(value: str) -> str:
    if not _EMAIL.fullmatch(value):
        raise ValueError("is not an email address (name@example.com)")
    return value.lower()


def _domain(value: str) -> str:
    value = value.lower().removeprefix("https://").removeprefix("http://").rstrip("/")
    if not _DOMAIN.fullmatch(value):
        raise ValueError("is not a domain (example.com)")
    return value


def text(max_length: int) -> Any:
    """Optional text of at most `max_length` characters."""
    inner = Annotated[str, StringConstraints(max_length=max_length)]
    return Annotated[inner | None, BeforeValidator(_text)]


def required(max_length: int) -> Any:
    """Text that must be given, of at most `max_length` characters."""
    inner = Annotated[str, StringConstraints(max_length=max_length)]
    return Annotated[inner, BeforeValidator(_required)]


def code(length: int, what: str) -> Any:
    """An optional code of exactly `length` letters (a country, a currency), upper-cased."""
    pattern = f"^[A-Z]{{{length}}}$"
    inner = Annotated[str, StringConstraints(pattern=pattern), Field(description=what)]
    return Annotated[
        inner | None, BeforeValidator(lambda v: _text(v).upper() if isinstance(v, str) else v)
    ]


Email = Annotated[
    Annotated[str, StringConstraints(max_length=254), AfterValidator(_email)],
    BeforeValidator(_required),
]
Domain = Annotated[
    Annotated[str, StringConstraints(max_length=253), AfterValidator(_domain)] | None,
    BeforeValidator(_text),
]
#: An amount: not negative, at most ten trillion, two decimals.
Amount = Annotated[
    Annotated[Decimal, Field(ge=0, le=MONEY_MAX, decimal_places=2, allow_inf_nan=False)] | None,
    BeforeValidator(_text),
]


def partial(model: type[BaseModel], name: str) -> type[BaseModel]:
    """`model` with every field optional and unset by default: an API PATCH body (what is
    sent is checked as `model` checks it; what is not sent keeps its value)."""
    fields: dict[str, Any] = {}
    for field_name, info in model.model_fields.items():
        optional = info.annotation | None
        fields[field_name] = (
            Annotated[optional, *info.metadata] if info.metadata else optional,
            None,
        )
    return create_model(name, __config__=model.model_config, **fields)
