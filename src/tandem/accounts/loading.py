"""YAML -> a frozen pydantic definition, every issue at file:line (the scoring loader's pieces).

Each account definition kind (target accounts, account score, buying committee, account
stages) parses through `parse`: syntax errors, duplicate keys and pydantic's structural errors
become `Issue`s at the offending key's line; the kind's own checks then add theirs with the
returned `SourceMap`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from tandem.definitions.base import ConfigError, Issue, has_errors
from tandem.scoring.issues import Path, SourceMap, display_path
from tandem.scoring.loader import issues_from_validation_error, load_yaml

M = TypeVar("M", bound=BaseModel)
Check = Callable[[Any, SourceMap], Iterable[Issue]]


def parse(
    cls: type[M], text: str, file: str, *checks: Check
) -> tuple[M | None, list[Issue], SourceMap]:
    """The definition in `text` (None when it cannot be built) and every issue, by line."""
    data, source_map, issues = load_yaml(text, file)
    if data is None and has_errors(issues):
        return None, issues, source_map
    if not isinstance(data, dict):
        return None, [*issues, source_map.issue("error", (), "must be a YAML mapping")], source_map
    try:
        model = cls.model_validate(data)
    except ValidationError as exc:
        issues += issues_from_validation_error(exc, data, source_map)
        return None, _sorted(issues), source_map
    for check in checks:
        issues += check(model, source_map)
    return model, _sorted(issues), source_map


def load(cls: type[M], text: str, file: str, *checks: Check) -> M:
    """The definition, or ConfigError listing every error (warnings are allowed)."""
    model, issues, _ = parse(cls, text, file, *checks)
    if model is None or has_errors(issues):
        raise ConfigError([i for i in issues if i.level == "error"])
    return model


def _sorted(issues: list[Issue]) -> list[Issue]:
    return sorted(issues, key=lambda i: (i.line or 0, i.level != "error"))


def at(src: SourceMap, path: Path, message: str, code: str = "") -> Issue:
    """An error at `path` of the file `src` maps, the path named first (as the scoring
    loader's issues: `coverage.roles[1]: role 'x' is not ...`)."""
    where = f"{display_path(path)}: " if path else ""
    return src.issue("error", path, where + message, code=code)
