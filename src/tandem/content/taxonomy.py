"""The content taxonomy: journey stages, asset types and personas, as a versioned definition.

Pure: the YAML text in, a frozen `Taxonomy` (or every issue at file:line) out. The default
shipped with the package is active until both teams approve another version
(`tandem.content.definitions`). `asset_problems` checks an asset's tags against it and names
the field, for the forms, the API and imports alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path

from pydantic import ValidationError

from tandem.content.journey import JourneyStage
from tandem.definitions.base import ConfigModel, Issue, Level
from tandem.yaml_source import YamlSyntaxError, parse_document

DEFAULT_PATH = Path(__file__).with_name("default_taxonomy.yaml")
KEY_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_")


class Taxonomy(ConfigModel):
    """Keys to labels, in the order people see them."""

    stages: dict[str, str]
    types: dict[str, str]
    personas: dict[str, str]


def _issue(file: str, line: int | None, loc: tuple, message: str) -> Issue:
    return Issue(level=Level.ERROR, message=message, loc=loc, file=file, line=line)


def parse_taxonomy(text: str, file: str = "<taxonomy>") -> tuple[Taxonomy | None, list[Issue]]:
    """The taxonomy in `text`, or None and every issue (file:line) that keeps it out."""
    try:
        doc = parse_document(text, file)
    except YamlSyntaxError as exc:
        return None, [_issue(file, exc.line, (), f"invalid YAML: {exc.problem}")]
    issues = [_issue(file, line, loc, "duplicate key") for loc, line in doc.duplicates]
    try:
        taxonomy = Taxonomy.model_validate(doc.data or {})
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(error["loc"])
            _, line = doc.find(loc)
            issues.append(_issue(file, line, loc, str(error["msg"])))
        return None, issues
    known = {s.value for s in JourneyStage}
    for section in ("stages", "types", "personas"):
        values: Mapping[str, str] = getattr(taxonomy, section)
        if not values:
            issues.append(_issue(file, doc.find((section,))[1], (section,), "lists nothing"))
        for key in values:
            line = doc.find((section, key))[1]
            if not key or set(key) - KEY_CHARS or len(key) > 40:
                issues.append(
                    _issue(file, line, (section, key), "keys are lower_snake_case, at most 40")
                )
            if section == "stages" and key not in known:
                message = f"unknown journey stage (known: {', '.join(sorted(known))})"
                issues.append(_issue(file, line, (section, key), message))
    return (None if issues else taxonomy), issues


@cache
def default_taxonomy() -> Taxonomy:
    """The taxonomy shipped with Tandem (active until both teams approve another)."""
    taxonomy, issues = parse_taxonomy(DEFAULT_PATH.read_text(encoding="utf-8"), str(DEFAULT_PATH))
    if taxonomy is None:  # pragma: no cover - tests/content/test_taxonomy.py holds it valid
        raise ValueError("\n".join(str(i) for i in issues))
    return taxonomy


def asset_problems(
    taxonomy: Taxonomy, *, stage: str | None, type: str | None, personas: Iterable[str]
) -> list[tuple[str, str]]:
    """(field, reason) for every tag of an asset the taxonomy does not know."""
    problems = []
    if not stage:
        problems.append(("journey_stage", "required: one of " + ", ".join(taxonomy.stages)))
    elif stage not in taxonomy.stages:
        problems.append(("journey_stage", f"unknown stage {stage!r}: one of "
                         + ", ".join(taxonomy.stages)))  # fmt: skip
    if not type:
        problems.append(("type", "required"))
    elif type not in taxonomy.types:
        problems.append(("type", f"unknown type {type!r}: one of " + ", ".join(taxonomy.types)))
    unknown = [p for p in personas if p not in taxonomy.personas]
    if unknown:
        problems.append(("personas", f"unknown persona {', '.join(map(repr, unknown))}: one of "
                         + ", ".join(taxonomy.personas)))  # fmt: skip
    return problems
