"""Validation issues with a location, and the map from YAML paths to line numbers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from tandem.yaml_source import nearest_line

Level = Literal["error", "warning"]
Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem found in a scoring model file."""

    level: Level
    file: str
    line: int | None
    message: str
    code: str = ""

    def format(self) -> str:
        """`file:line: level: message`, the form editors and CI logs link to."""
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.level}: {self.message}"


@dataclass(frozen=True, slots=True)
class SourceMap:
    """Line numbers of every key and list item of a YAML document, by path."""

    file: str
    lines: dict[Path, int] = field(default_factory=dict)

    def line_for(self, path: Path) -> int | None:
        """The line of `path`, or of its nearest ancestor that has one."""
        return nearest_line(self.lines, path)

    def issue(self, level: Level, path: Path, message: str, code: str = "") -> Issue:
        """An issue located at `path` in this file."""
        return Issue(level, self.file, self.line_for(path), message, code)


def has_errors(issues: list[Issue]) -> bool:
    """True when any issue is an error (warnings alone do not fail validation)."""
    return any(i.level == "error" for i in issues)


def display_path(path: Path) -> str:
    """`fit_rules[0].points` style rendering of a path."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "<root>"
