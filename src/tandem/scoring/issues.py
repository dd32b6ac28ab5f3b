"""Where a scoring model's issues are: the map from YAML paths to line numbers. The issue type
is every definition's (`tandem.definitions.base.Issue`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from tandem.definitions.base import Issue
from tandem.yaml_source import nearest_line

Level = Literal["error", "warning"]
Path = tuple[str | int, ...]


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
        return Issue(
            level=level, file=self.file, line=self.line_for(path), message=message, code=code
        )


def display_path(path: Path) -> str:
    """`fit_rules[0].points` style rendering of a path."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "<root>"
