"""Load routing and SLA files: parse YAML with lines, build frozen models, run the validators.

`check_*` return (model or None, every issue located at file:line); `load_*` return the model
or raise ConfigError when any issue is an error. `parse_*` do the same from text (web editor).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from tandem.definitions.base import ConfigError, Issue, Level, has_errors
from tandem.handoff.routing_rules import RoutingRules
from tandem.handoff.sla_rules import SlaConfig
from tandem.handoff.source import Source, parse_yaml, validation_issues
from tandem.handoff.validation import (
    reps_are_users,
    validate_handoff,
    validate_routing,
    validate_sla,
)

M = TypeVar("M", bound=BaseModel)


def _parse(
    text: str, file: str, model: type[M], validate: Callable[[M], list[Issue]]
) -> tuple[M | None, list[Issue]]:
    parsed, issues, _ = _parse_with_source(text, file, model, validate)
    return parsed, issues


def _parse_with_source(
    text: str, file: str, model: type[M], validate: Callable[[M], list[Issue]]
) -> tuple[M | None, list[Issue], Source | None]:
    source, issues = parse_yaml(text, file)
    if source is None:
        return None, issues, None
    try:
        parsed = model.model_validate(source.data)
    except ValidationError as exc:
        # Keep duplicate-key findings too: they often explain the validation error.
        return None, _by_line(issues + source.locate(validation_issues(exc))), source
    return parsed, _by_line(issues + source.locate(validate(parsed))), source


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


@dataclass(frozen=True)
class HandoffFiles:
    """Both handoff files checked together; the models are None when they could not be built."""

    rules: RoutingRules | None
    sla: SlaConfig | None
    issues: list[Issue]
    texts: tuple[str, str]  # the routing and SLA file contents, for change auditing

    @property
    def ok(self) -> bool:
        """True when both models loaded and no issue is an error."""
        return self.rules is not None and self.sla is not None and not has_errors(self.issues)


def check_handoff(
    routing_path: str | Path,
    sla_path: str | Path,
    *,
    known_users: Collection[str] | None = None,
) -> HandoffFiles:
    """Check both files, their cross-references, and (given `known_users`, the emails and ids
    of Tandem users) that every rep and manager exists; every issue carries file:line."""
    routing_text, issues = _read(routing_path)
    sla_text, sla_read = _read(sla_path)
    found = check_handoff_texts(
        (routing_text, str(routing_path)), (sla_text, str(sla_path)), known_users=known_users
    )
    return HandoffFiles(found.rules, found.sla, issues + sla_read + found.issues, found.texts)


def check_handoff_texts(
    routing: tuple[str | None, str],
    sla: tuple[str | None, str],
    *,
    known_users: Collection[str] | None = None,
) -> HandoffFiles:
    """`check_handoff` on (text, file name) pairs; a text of None is not checked (missing)."""
    (routing_text, routing_file), (sla_text, sla_file) = routing, sla
    issues: list[Issue] = []
    rules = config = None
    if routing_text is not None:
        rules, found, routing_src = _parse_with_source(
            routing_text, routing_file, RoutingRules, validate_routing
        )
        issues += found
        if rules is not None and routing_src is not None and known_users is not None:
            issues += routing_src.locate(reps_are_users(rules, known_users))
    if sla_text is not None:
        config, found, sla_src = _parse_with_source(sla_text, sla_file, SlaConfig, validate_sla)
        issues += found
        if rules is not None and config is not None and sla_src is not None:
            issues += sla_src.locate(validate_handoff(rules, config))
    return HandoffFiles(rules, config, issues, (routing_text or "", sla_text or ""))
