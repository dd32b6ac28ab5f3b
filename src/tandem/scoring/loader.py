"""Load a scoring model from YAML, keeping the line of every key for error messages.

`tandem.yaml_source` parses the YAML into plain data plus the line of every key path (the
parsing shared with the handoff and attribution loaders); pydantic then parses the data and its
error locations are mapped back onto those lines.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path as FsPath
from typing import Any

from pydantic import ValidationError

from tandem.definitions.base import Issue, has_errors
from tandem.scoring.issues import Path, SourceMap, display_path
from tandem.scoring.model import ScoringModel
from tandem.yaml_source import YamlSyntaxError, parse_document


class ModelInvalid(ValueError):
    """A scoring model with at least one error; `issues` holds all issues found."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        errors = [i.format() for i in issues if i.level == "error"]
        super().__init__("invalid scoring model:\n" + "\n".join(errors))


def load_yaml(text: str, filename: str) -> tuple[Any, SourceMap, list[Issue]]:
    """Parse YAML text into plain data plus a SourceMap; syntax errors become issues."""
    try:
        doc = parse_document(text, filename)
    except YamlSyntaxError as exc:
        issue = Issue(
            level="error",
            file=filename,
            line=exc.line,
            message=f"YAML syntax: {exc.problem}",
            code="yaml-syntax",
        )
        return None, SourceMap(filename), [issue]
    # `()` is the document's first line: a missing top-level key is reported there.
    source_map = SourceMap(filename, dict(doc.lines))
    issues = [
        # PyYAML keeps the last value silently; a scoring model must not hide a rule.
        Issue(
            level="error", file=filename, line=line, message=f"{display_path(path)}: duplicate key"
        )
        for path, line in doc.duplicates
    ]
    return doc.data, source_map, issues


_MISSING = object()


def _child(node: Any, part: str | int) -> Any:
    if isinstance(node, dict) and part in node:
        return node[part]
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return _MISSING


def _locate(data: Any, loc: tuple[str | int, ...]) -> tuple[Path, Path]:
    """Map a pydantic loc onto the data path (skipping union tags) and a display path."""
    path: list[str | int] = []
    shown: list[str | int] = []
    current = data
    for part in loc:
        found = _child(current, part)
        if found is _MISSING:
            # A discriminated-union tag ("range") or a missing key: not in the file.
            if isinstance(current, dict) and part in _field_names():
                shown.append(part)
            continue
        current = found
        path.append(part)
        shown.append(part)
    return tuple(path), tuple(shown)


@cache
def _field_names() -> frozenset[str]:
    from tandem.scoring import model

    classes = (model.ScoringModel, model.BehaviourRule, model.Filters, model.Decay, model.MqlRule)
    classes += (model.Grades, model.EqualsRule, model.InRule, model.RangeRule, model.RegexRule)
    classes += (model.ExistsRule,)
    return frozenset(name for cls in classes for name in cls.model_fields)


def _message(error: dict[str, Any], shown: Path) -> str:
    kind = error["type"]
    where = display_path(shown)
    if kind == "extra_forbidden":
        return f"{where}: unknown field '{shown[-1] if shown else ''}'"
    if kind == "missing":
        return f"{where}: required field is missing"
    if kind == "union_tag_not_found":
        return f"{where}: missing 'op' (one of equals, in, range, regex, exists)"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}"


def issues_from_validation_error(
    exc: ValidationError, data: Any, source_map: SourceMap
) -> list[Issue]:
    """One issue per pydantic error, located at the YAML line of the offending key."""
    issues = []
    errors = exc.errors()
    for error in errors:
        loc = tuple(error["loc"])
        if error["type"] == "too_short" and any(
            len(e["loc"]) > len(loc) and tuple(e["loc"][: len(loc)]) == loc for e in errors
        ):
            continue  # "at least 1 item" after an item was refused: noise, not a second problem
        if error["type"] == "union_tag_invalid":
            loc = (*loc, "op")
        path, shown = _locate(data, loc)
        message = _message(dict(error), shown)
        issues.append(source_map.issue("error", path, message, code=str(error["type"])))
    return issues


def parse_model(text: str, *, filename: str = "<model>") -> tuple[ScoringModel | None, list[Issue]]:
    """Parse YAML text into a ScoringModel and run every validation rule.

    Returns the model (None when it could not be built) and all issues found, errors and
    warnings, sorted by line. Use `load_model` when you just want a valid model or an exception.
    """
    from tandem.scoring.validate import validate_model

    data, source_map, issues = load_yaml(text, filename)
    if has_errors(issues) and data is None:
        return None, issues
    if not isinstance(data, dict):
        issues.append(
            Issue(
                level="error",
                file=filename,
                line=1,
                message="a scoring model must be a YAML mapping",
            )
        )
        return None, issues
    try:
        model = ScoringModel.model_validate(data)
    except ValidationError as exc:
        issues += issues_from_validation_error(exc, data, source_map)
        return None, _sorted(issues)
    issues += validate_model(model, source_map)
    return model, _sorted(issues)


def _sorted(issues: list[Issue]) -> list[Issue]:
    return sorted(issues, key=lambda i: (i.line or 0, i.level != "error"))


def check_file(path: str | FsPath) -> tuple[ScoringModel | None, list[Issue]]:
    """`parse_model` on a file; an unreadable file is an issue, not an exception."""
    name = str(path)
    try:
        text = FsPath(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [
            Issue(level="error", file=name, message=f"cannot read file: {exc}", code="io")
        ]
    return parse_model(text, filename=name)


def load_model(path: str | FsPath) -> ScoringModel:
    """Load a model file, raising ModelInvalid (with every issue) when it has errors."""
    model, issues = check_file(path)
    if model is None or has_errors(issues):
        raise ModelInvalid(issues)
    return model


def load_model_text(text: str, *, filename: str = "<model>") -> ScoringModel:
    """Like `load_model`, for YAML text (a model version stored in the database)."""
    model, issues = parse_model(text, filename=filename)
    if model is None or has_errors(issues):
        raise ModelInvalid(issues)
    return model
