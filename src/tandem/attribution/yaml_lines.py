"""YAML with line numbers: map a validation error's field path back to its line in the file."""

from dataclasses import dataclass
from typing import Any

import yaml


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    """One problem in a configuration file."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.field or '<root>'}: {self.message}"


def compose_with_lines(text: str, source: str) -> tuple[Any, yaml.Node | None, list[ConfigIssue]]:
    """Parse `text` into data and its node tree; syntax errors and duplicate keys are issues."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(error, "problem", None) or str(error)
        return None, None, [ConfigIssue(source, line, "", f"invalid YAML: {problem}")]
    issues: list[ConfigIssue] = []
    _find_duplicates(root, (), source, issues)
    return data, root, issues


def _find_duplicates(node: Any, path: tuple[str, ...], source: str, out: list) -> None:
    # PyYAML silently keeps the last of two equal keys; a config should say it twice only by
    # mistake, so we report it.
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if key.value in seen:
                out.append(
                    ConfigIssue(
                        source,
                        key.start_mark.line + 1,
                        ".".join((*path, key.value)),
                        "duplicate key",
                    )
                )
            seen.add(key.value)
            _find_duplicates(value, (*path, str(key.value)), source, out)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _find_duplicates(item, (*path, str(index)), source, out)


def issue_for(source: str, root: Any, loc: tuple, message: str) -> ConfigIssue:
    """An issue for pydantic error location `loc`, at the line of the deepest key found."""
    node, line = root, (root.start_mark.line + 1 if root is not None else None)
    parts = [str(part) for part in loc if not str(part).startswith("function-")]
    for part in parts:
        found = _child(node, part)
        if found is None:
            break
        node, line = found
    return ConfigIssue(source, line, ".".join(parts), message.removeprefix("Value error, "))


def _child(node: Any, part: str) -> tuple[Any, int] | None:
    """The node under `part` and the line that names it (the key's line for a mapping)."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if str(key.value) == part:
                return value, key.start_mark.line + 1
        return None
    if isinstance(node, yaml.SequenceNode) and part.isdigit() and int(part) < len(node.value):
        item = node.value[int(part)]
        return item, item.start_mark.line + 1
    return None
