"""YAML loading that remembers where every key came from, so issues can name file:line.

The parsing (lines of every key path, duplicate keys, YAML 1.1 surprises such as `NO` (Norway)
becoming False or `12:30` becoming the integer 750) is `tandem.yaml_source`, shared with the
scoring and attribution loaders; this module turns its findings into handoff `Issue`s.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from tandem.definitions.base import Issue, Level, Loc, error
from tandem.yaml_source import YamlSyntaxError, nearest_line, parse_document


@dataclass(frozen=True)
class Source:
    """A parsed YAML document: plain data plus the line of every key path."""

    file: str
    data: Any
    lines: Mapping[Loc, int]

    def line_for(self, loc: Loc) -> int | None:
        """Line of the deepest known path prefix of `loc` (pydantic locs may run deeper)."""
        return nearest_line(self.lines, _data_path(loc))

    def locate(self, issues: Iterable[Issue]) -> list[Issue]:
        """Fill in file and line on issues that only carry a field path."""
        return [
            i.model_copy(update={"file": self.file, "line": i.line or self.line_for(i.loc)})
            for i in issues
        ]


def parse_yaml(text: str, file: str) -> tuple[Source | None, list[Issue]]:
    """Parse one YAML document; on a syntax error return None and the located issue."""
    try:
        doc = parse_document(text, file)
    except YamlSyntaxError as exc:
        message = f"invalid YAML: {exc.problem}"
        return None, [Issue(level=Level.ERROR, message=message, file=file, line=exc.line)]
    if not doc.lines:
        return None, [Issue(level=Level.ERROR, message="the file is empty", file=file, line=1)]
    source = Source(file=file, data=doc.data, lines=doc.lines)
    issues = [
        error(loc, f"duplicate key {loc[-1]!r} (the later value would win)")
        for loc, _ in doc.duplicates
    ]
    return source, source.locate(issues)


def validation_issues(exc: ValidationError, prefix: Loc = ()) -> list[Issue]:
    """Turn a pydantic ValidationError into issues carrying the failing field path."""
    errors = [(_data_path(e["loc"]), e) for e in exc.errors(include_url=False)]
    issues = []
    for loc, err in errors:
        kind = err["type"]
        n = len(loc)
        if kind == "too_short" and any(len(o) > n and o[:n] == loc for o, _ in errors):
            continue  # "needs at least 1 item" only because an item failed: noise
        if kind == "extra_forbidden":
            message = "unknown field (check the spelling; see docs/handoff.md)"
        elif kind == "missing":
            message = "required field is missing"
        else:
            message = err["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
        issues.append(Issue(level=Level.ERROR, message=message, loc=(*prefix, *loc)))
    return issues


def _data_path(loc: tuple[Any, ...]) -> Loc:
    """Drop pydantic's own loc entries (such as "[key]") that are not keys in the YAML."""
    return tuple(p for p in loc if not (isinstance(p, str) and p.startswith("[")))
