"""YAML that remembers where every key came from, for configuration files whose errors must
name file:line (scoring models, handoff routing and SLAs, attribution settings, CSV mappings).

The node tree is composed and converted here (instead of `yaml.safe_load`) so that:

* the line of every key path is kept: a mapping entry's line is its key's, a list item's line is
  the item's first line, and the empty path `()` is the document's first line;
* duplicate keys, which PyYAML silently resolves to the later value, are reported;
* YAML 1.1 surprises do not happen: `NO` (Norway), `yes`, `off` stay strings (only `true` and
  `false` are booleans), `12:30` stays a string instead of the base-60 integer 750, and an
  impossible date such as `2026-02-30` stays a string for the model to report at its field;
* `<<: *anchor` merge keys work, and a recursive alias is an error instead of endless recursion;
* a few hundred bytes cannot take gigabytes: the text is at most `MAX_BYTES`, nesting at most
  `MAX_DEPTH` deep, and the data built (aliases and merge keys expanded) at most `MAX_NODES`
  nodes, so a "billion laughs" of nested aliases is refused after a bounded amount of work.

Every YAML the system reads comes through `parse_document` (tests/test_yaml_fuzz.py holds it).

Each caller turns `YamlSyntaxError` and `YamlDocument.duplicates` into its own issue type.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

Loc = tuple[Any, ...]

#: The largest YAML text read (a scoring model, routing file or mapping is a few KB).
MAX_BYTES = 1_000_000
#: Deepest nesting of mappings and lists, written or reached through aliases.
MAX_DEPTH = 64
#: Most nodes the data may hold once aliases and merge keys are expanded.
MAX_NODES = 100_000

_BOOL_TAG = "tag:yaml.org,2002:bool"
_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")


class YamlSyntaxError(ValueError):
    """The text is not YAML (or not one document); `line` is 1-based when known."""

    def __init__(self, line: int | None, problem: str) -> None:
        self.line = line
        self.problem = problem
        super().__init__(f"line {line}: {problem}" if line else problem)


@dataclass(frozen=True)
class YamlDocument:
    """One parsed document: plain data, the line of every key path, and repeated keys."""

    file: str
    data: Any  # None for an empty document
    lines: Mapping[Loc, int]
    duplicates: tuple[tuple[Loc, int], ...] = ()

    def line_for(self, loc: Loc) -> int | None:
        """The line of `loc`, or of its deepest ancestor that has one."""
        return nearest_line(self.lines, loc)

    def find(self, loc: Iterable[Any]) -> tuple[Loc, int | None]:
        """Follow `loc` (keys compared as text, list indexes as numbers) as far as the data goes;
        the path found and its line (the document's first line when nothing matched)."""
        node, path = self.data, ()
        for part in loc:
            if isinstance(node, Mapping):
                key = next((k for k in node if k == part or str(k) == str(part)), _MISSING)
                if key is _MISSING:
                    break
                node, path = node[key], (*path, key)
            elif isinstance(node, list) and str(part).isdigit() and int(part) < len(node):
                node, path = node[int(part)], (*path, int(part))
            else:
                break
        return path, self.lines.get(path)


_MISSING = object()


def nearest_line(lines: Mapping[Loc, int], loc: Loc) -> int | None:
    """The line of `loc` in `lines`, or of its deepest ancestor that has one."""
    for end in range(len(loc), -1, -1):
        line = lines.get(loc[:end])
        if line is not None:
            return line
    return None


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, with the nesting depth counted while composing (its composer is
    recursive: 10,000 brackets would otherwise end in a RecursionError)."""

    depth = 0

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise yaml.MarkedYAMLError(
                    problem=f"nested more than {MAX_DEPTH} levels deep",
                    problem_mark=self.peek_event().start_mark,
                )
            return super().compose_node(parent, index)  # type: ignore[no-any-return]
        finally:
            self.depth -= 1


class _Budget:
    """Counts the nodes built; refuses past `MAX_NODES` (aliases expand: 9 levels of 10 aliases
    each are 10^9 nodes from 400 bytes)."""

    def __init__(self) -> None:
        self.left = MAX_NODES

    def spend(self, count: int, node: yaml.Node) -> None:
        self.left -= count
        if self.left < 0:
            raise yaml.MarkedYAMLError(
                problem=f"the data is over {MAX_NODES:,} values once its aliases are expanded",
                problem_mark=node.start_mark,
            )


def parse_document(text: str, file: str) -> YamlDocument:
    """Parse one YAML document; YamlSyntaxError when it is not valid YAML or is over a limit
    (`MAX_BYTES`, `MAX_DEPTH`, `MAX_NODES`)."""
    if len(text) > MAX_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise YamlSyntaxError(None, f"the YAML is over the {MAX_BYTES:,} byte limit")
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDocument(file, None, {})
        lines: dict[Loc, int] = {}
        duplicates: list[tuple[Loc, int]] = []
        data = _convert(node, (), lines, duplicates, loader, set(), _Budget())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlSyntaxError(
            mark.line + 1 if mark is not None else None, exc.problem or exc.context or str(exc)
        ) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(None, str(exc)) from None
    finally:
        loader.dispose()
    return YamlDocument(file, data, lines, tuple(duplicates))


def _convert(
    node: yaml.Node,
    loc: Loc,
    lines: dict[Loc, int],
    duplicates: list[tuple[Loc, int]],
    loader: yaml.SafeLoader,
    active: set[int],
    budget: _Budget,
) -> Any:
    budget.spend(1, node)
    lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.ScalarNode):
        return _scalar(node, loader)
    if id(node) in active:
        raise yaml.MarkedYAMLError(
            problem="a recursive alias (an anchor used inside itself)",
            problem_mark=node.start_mark,
        )
    if len(loc) >= MAX_DEPTH:  # a chain of aliases nests deeper than the text
        raise yaml.MarkedYAMLError(
            problem=f"nested more than {MAX_DEPTH} levels deep (through aliases)",
            problem_mark=node.start_mark,
        )
    active.add(id(node))
    if isinstance(node, yaml.MappingNode):
        _flatten(node, budget)  # resolves `<<: *anchor` merge keys in place
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node, loader)
            key_loc = (*loc, key)
            line = key_node.start_mark.line + 1
            if key in out:
                duplicates.append((key_loc, line))
            lines[key_loc] = line
            out[key] = _convert(value_node, key_loc, lines, duplicates, loader, active, budget)
        result: Any = out
    else:
        result = [
            _convert(item, (*loc, i), lines, duplicates, loader, active, budget)
            for i, item in enumerate(node.value)
        ]
    active.discard(id(node))
    return result


_MERGE_TAG = "tag:yaml.org,2002:merge"


def _flatten(node: yaml.MappingNode, budget: _Budget, active: frozenset[int] = frozenset()) -> None:
    """PyYAML's `flatten_mapping` (merge keys moved in, later keys winning), with the merged
    entries charged to `budget`: merging the same anchor twice per level doubles each level."""
    if id(node) in active:
        raise yaml.MarkedYAMLError(problem="a recursive merge key", problem_mark=node.start_mark)
    merged: list[tuple[yaml.Node, yaml.Node]] = []
    own: list[tuple[yaml.Node, yaml.Node]] = []
    for key_node, value_node in node.value:
        if key_node.tag != _MERGE_TAG:
            if key_node.tag == "tag:yaml.org,2002:value":
                key_node.tag = "tag:yaml.org,2002:str"
            own.append((key_node, value_node))
            continue
        sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
        for source in reversed(sources):
            if not isinstance(source, yaml.MappingNode):  # PyYAML's words
                raise yaml.MarkedYAMLError(
                    problem="expected a mapping or list of mappings for merging",
                    problem_mark=source.start_mark,
                )
            _flatten(source, budget, active | {id(node)})
            budget.spend(len(source.value), source)
            merged.extend(source.value)
    if merged:
        node.value = merged + own


def _scalar(node: yaml.Node, loader: yaml.SafeLoader) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        return str(node.start_mark)  # a complex key; the model rejects it with a location
    if node.tag == _BOOL_TAG and node.value.lower() not in ("true", "false"):
        return node.value  # yes/no/on/off stay strings: `country: NO` means Norway
    if node.tag in _NUMBER_TAGS and ":" in node.value:
        return node.value  # YAML 1.1 base-60: `12:30` would otherwise load as 750
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, yaml.YAMLError):
        return node.value  # e.g. 2026-02-30: let the model report it at its field and line
