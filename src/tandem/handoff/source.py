"""YAML loading that remembers where every key came from, so issues can name file:line.

We compose the YAML node tree ourselves (instead of `yaml.safe_load`) to record the line of each
key path and to catch what plain loading hides: duplicate keys, and YAML 1.1 surprises such as
`NO` (Norway) becoming False or `12:30` becoming the integer 750.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import ValidationError

from tandem.handoff.config import Issue, Level, Loc, error

_BOOL_TAG = "tag:yaml.org,2002:bool"
_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")


@dataclass(frozen=True)
class Source:
    """A parsed YAML document: plain data plus the line of every key path."""

    file: str
    data: Any
    lines: Mapping[Loc, int]

    def line_for(self, loc: Loc) -> int | None:
        """Line of the deepest known path prefix of `loc` (pydantic locs may run deeper)."""
        parts = _data_path(loc)
        for end in range(len(parts), -1, -1):
            line = self.lines.get(parts[:end])
            if line is not None:
                return line
        return None

    def locate(self, issues: Iterable[Issue]) -> list[Issue]:
        """Fill in file and line on issues that only carry a field path."""
        return [
            i.model_copy(update={"file": self.file, "line": i.line or self.line_for(i.loc)})
            for i in issues
        ]


def parse_yaml(text: str, file: str) -> tuple[Source | None, list[Issue]]:
    """Parse one YAML document; on a syntax error return None and the located issue."""
    loader = yaml.SafeLoader(text)
    lines: dict[Loc, int] = {}
    issues: list[Issue] = []
    try:
        node = loader.get_single_node()
        if node is None:
            return None, [Issue(level=Level.ERROR, message="the file is empty", file=file, line=1)]
        data = _convert(node, (), lines, issues, loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        message = f"invalid YAML: {exc.problem or exc.context}"
        return None, [Issue(level=Level.ERROR, message=message, file=file, line=line)]
    finally:
        loader.dispose()
    source = Source(file=file, data=data, lines=lines)
    return source, source.locate(issues)


def _convert(
    node: yaml.Node, loc: Loc, lines: dict[Loc, int], issues: list[Issue], loader: yaml.SafeLoader
) -> Any:
    lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolves `<<: *anchor` merge keys in place
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node, loader)
            key_loc = (*loc, key)
            if key in out:
                issues.append(error(key_loc, f"duplicate key {key!r} (the later value would win)"))
            lines[key_loc] = key_node.start_mark.line + 1
            out[key] = _convert(value_node, key_loc, lines, issues, loader)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [
            _convert(item, (*loc, i), lines, issues, loader) for i, item in enumerate(node.value)
        ]
    return _scalar(node, loader)


def _scalar(node: yaml.Node, loader: yaml.SafeLoader) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        return str(node.start_mark)  # a complex key; pydantic will reject it with a location
    if node.tag == _BOOL_TAG and node.value.lower() not in ("true", "false"):
        return node.value  # yes/no/on/off stay strings: `country: NO` means Norway
    if node.tag in _NUMBER_TAGS and ":" in node.value:
        return node.value  # YAML 1.1 base-60: `12:30` would otherwise load as 750
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, yaml.YAMLError):
        return node.value  # e.g. 2026-02-30: let the model report it at its field and line


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
