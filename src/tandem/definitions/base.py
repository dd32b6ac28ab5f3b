"""What every definition shares, whatever its kind (routing, SLA, scoring model, import
mapping): the frozen model bases, and the one `Issue` (level, message, file, line, field path)
every validator returns, printed as `file:line: level: field: message`."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

Loc = tuple[str | int, ...]


class ConfigModel(BaseModel):
    """Base for definitions read from YAML: immutable, and unknown keys are errors (typos surface).

    Numbers are accepted where text is expected, because YAML reads `user_id: 42` as a number.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", coerce_numbers_to_str=True)


class Frozen(BaseModel):
    """Base for values the pure functions return: immutable, JSON-ready via `model_dump`."""

    model_config = ConfigDict(frozen=True, extra="forbid", coerce_numbers_to_str=True)


def as_tuple(value: Any) -> Any:
    """Let a single value stand for a one-item list in YAML (`grade: A` == `grade: [A]`)."""
    return (
        (value,) if isinstance(value, str | int | float) and not isinstance(value, bool) else value
    )


class Level(StrEnum):
    """How bad an issue is: errors block loading, warnings are printed but allowed."""

    ERROR = "error"
    WARNING = "warning"


def format_loc(loc: Loc) -> str:
    """Render a path into the YAML document as `policies[0].tiers[1].match`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


class Issue(BaseModel):
    """One finding about a definition, with where it is (file, line and field path) and, for
    tools, a short `code` naming the check that found it."""

    model_config = ConfigDict(frozen=True)

    level: Level
    message: str
    loc: Loc = ()
    file: str | None = None
    line: int | None = None
    code: str = ""

    def __str__(self) -> str:
        where = self.file or "<config>"
        if self.line is not None:
            where += f":{self.line}"
        field = format_loc(self.loc)
        return f"{where}: {self.level}: {field + ': ' if field else ''}{self.message}"

    def format(self) -> str:
        """`file:line: level: message`, the form editors and CI logs link to."""
        return str(self)


def error(loc: Loc, message: str) -> Issue:
    """An error-level issue at `loc`."""
    return Issue(level=Level.ERROR, message=message, loc=loc)


def warning(loc: Loc, message: str) -> Issue:
    """A warning-level issue at `loc`."""
    return Issue(level=Level.WARNING, message=message, loc=loc)


def has_errors(issues: Iterable[Issue]) -> bool:
    """True when any issue is an error."""
    return any(i.level is Level.ERROR for i in issues)


class ConfigError(Exception):
    """A configuration could not be loaded; `issues` lists every problem found, with locations."""

    def __init__(self, issues: Iterable[Issue]) -> None:
        self.issues: tuple[Issue, ...] = tuple(issues)
        super().__init__("\n".join(str(i) for i in self.issues))
