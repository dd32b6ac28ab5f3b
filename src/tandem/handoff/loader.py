"""Load routing and SLA files: parse YAML with lines, build frozen models, run the validators.

`check_*` return (model or None, every issue located at file:line); `load_*` return the model
or raise ConfigError when any issue is an error. `parse_*` do the same from text (web editor).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from tandem.handoff.config import ConfigError, Issue, Level, has_errors
from tandem.handoff.routing_rules import RoutingRules
from tandem.handoff.sla_rules import SlaConfig
from tandem.handoff.source import parse_yaml, validation_issues
from tandem.handoff.validation import validate_routing, validate_sla

M = TypeVar("M", bound=BaseModel)


def _parse(
    text: str, file: str, model: type[M], validate: Callable[[M], list[Issue]]
) -> tuple[M | None, list[Issue]]:
    source, issues = parse_yaml(text, file)
    if source is None:
        return None, issues
    try:
        parsed = model.model_validate(source.data)
    except ValidationError as exc:
        # Keep duplicate-key findings too: they often explain the validation error.
        return None, _by_line(issues + source.locate(validation_issues(exc)))
    return parsed, _by_line(issues + source.locate(validate(parsed)))


def _by_line(issues: list[Issue]) -> list[Issue]:
    return sorted(issues, key=lambda i: (i.line or 0, i.level is not Level.ERROR))


def _read(path: str | Path) -> tuple[str | None, list[Issue]]:
    try:
        return Path(path).read_text(encoding="utf-8"), []
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Issue(level=Level.ERROR, message=f"cannot read file: {exc}", file=str(path))]


def parse_routing(text: str, file: str = "<routing>") -> tuple[RoutingRules | None, list[Issue]]:
    """Parse and validate routing rules from YAML text."""
    return _parse(text, file, RoutingRules, validate_routing)


def parse_sla(text: str, file: str = "<sla>") -> tuple[SlaConfig | None, list[Issue]]:
    """Parse and validate an SLA configuration from YAML text."""
    return _parse(text, file, SlaConfig, validate_sla)


def check_routing(path: str | Path) -> tuple[RoutingRules | None, list[Issue]]:
    """Read and validate a routing file; the model is None when it could not be built."""
    text, issues = _read(path)
    return (None, issues) if text is None else parse_routing(text, str(path))


def check_sla(path: str | Path) -> tuple[SlaConfig | None, list[Issue]]:
    """Read and validate an SLA file; the model is None when it could not be built."""
    text, issues = _read(path)
    return (None, issues) if text is None else parse_sla(text, str(path))


def _ok(result: tuple[M | None, list[Issue]]) -> M:
    model, issues = result
    if model is None or has_errors(issues):
        raise ConfigError([i for i in issues if i.level is Level.ERROR])
    return model


def load_routing(path: str | Path) -> RoutingRules:
    """The routing rules in `path`; raises ConfigError listing every error (warnings pass)."""
    return _ok(check_routing(path))


def load_sla(path: str | Path) -> SlaConfig:
    """The SLA configuration in `path`; raises ConfigError listing every error (warnings pass)."""
    return _ok(check_sla(path))
