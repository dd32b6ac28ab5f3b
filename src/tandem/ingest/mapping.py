"""Mappings: which CSV column feeds which field, value maps, date formats, defaults.

A mapping is data: the built-in profiles (`profiles/*.yaml`: one mapping per kind) and a
`generic` user's `mapping.yaml` are loaded by the same code, with every problem reported as
file:line. Pure apart from reading the packaged profile files.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import Field as PydanticField
from pydantic import ValidationError

from tandem.definitions.base import ConfigModel, Issue, Level, error
from tandem.handoff.source import parse_yaml, validation_issues
from tandem.ingest.fields import KINDS, KINDS_ORDER, get_kind
from tandem.yaml_source import parse_document

PROFILES_DIR = Path(__file__).parent / "profiles"
BUILTIN_PROFILES = ("hubspot", "salesforce", "olist", "maven-crm")
PROFILES = ("generic", *BUILTIN_PROFILES)


class MappingError(ValueError):
    """A mapping or profile cannot be used; `issues` says where and why."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


class Derive(ConfigModel):
    """A profile rule filling a field the file leaves empty from another of its columns, e.g.
    a deal's creation date from its first contact. Only a written rule derives a value, and the
    report counts the rows it filled with `reason` ("dated by their first contact")."""

    source: str = PydanticField(alias="from", min_length=1)
    reason: str = PydanticField(min_length=1)


class Mapping(ConfigModel):
    """How one CSV layout maps onto one kind's fields."""

    kind: str | None = None
    columns: dict[str, str] = PydanticField(default_factory=dict)
    values: dict[str, dict[str, Any]] = PydanticField(default_factory=dict)
    normalize: dict[str, Literal["snake", "lower", "upper"]] = PydanticField(default_factory=dict)
    scale: dict[str, float] = PydanticField(default_factory=dict)
    date_formats: list[str] = PydanticField(default_factory=list)
    decimal_mark: Literal[",", "."] | None = None
    defaults: dict[str, Any] = PydanticField(default_factory=dict)
    templates: dict[str, str] = PydanticField(default_factory=dict)
    derive: dict[str, Derive] = PydanticField(default_factory=dict)
    ignore: list[str] = PydanticField(default_factory=list)
    auto: bool = True
    delimiter: str | None = None
    encoding: str | None = None


def header_key(name: str) -> str:
    """How column names are compared: case, surrounding and repeated spaces do not matter."""
    return re.sub(r"\s+", " ", name.replace("\ufeff", "")).strip().casefold()


def check_mapping(mapping: Mapping, kind: str) -> list[Issue]:
    """Semantic checks of a mapping against the kind it is used for (field paths as locs)."""
    spec = get_kind(kind)
    issues: list[Issue] = []
    if mapping.kind is not None and mapping.kind != kind:
        issues.append(error(("kind",), f"mapping is for {mapping.kind!r}, not {kind!r}"))
    known = ", ".join(spec.fields)
    for column, target in mapping.columns.items():
        if not spec.accepts(target):
            issues.append(error(("columns", column), f"unknown field {target!r} (fields: {known})"))
    for section in ("values", "normalize", "scale", "defaults", "templates", "derive"):
        for name in getattr(mapping, section):
            if not spec.accepts(name):
                issues.append(error((section, name), f"unknown field {name!r} (fields: {known})"))
    for name in mapping.derive:
        # A default or template always gives a value: the rule would never be what fills it.
        for section in ("defaults", "templates"):
            if name in getattr(mapping, section):
                issues.append(error(("derive", name), f"{name} also has a {section[:-1]}"))
    if mapping.delimiter is not None and mapping.delimiter not in (",", ";", "\t", "|"):
        issues.append(error(("delimiter",), "delimiter must be one of , ; | or a tab"))
    for i, fmt in enumerate(mapping.date_formats):
        if "%" not in fmt:
            issues.append(error(("date_formats", i), f"{fmt!r} is not a strptime format"))
    if mapping.encoding is not None:
        import codecs

        try:
            codecs.lookup(mapping.encoding)
        except LookupError:
            issues.append(error(("encoding",), f"unknown encoding {mapping.encoding!r}"))
    return issues


def parse_mapping(text: str, file: str, kind: str) -> Mapping:
    """A mapping from YAML text, checked for `kind`; raises MappingError with file:line issues."""
    source, issues = parse_yaml(text, file)
    if source is None:
        raise MappingError(issues)
    try:
        mapping = Mapping.model_validate(source.data)
    except ValidationError as exc:
        raise MappingError(source.locate(validation_issues(exc))) from None
    issues += source.locate(check_mapping(mapping, kind))
    if any(i.level is Level.ERROR for i in issues):
        raise MappingError(sorted(issues, key=lambda i: i.line or 0))
    return mapping


def load_mapping(path: str | Path, kind: str) -> Mapping:
    """Read and check a mapping file (see docs/ingest.md for the format)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        issue = Issue(level=Level.ERROR, message=f"cannot read: {exc}", file=str(path))
        raise MappingError([issue]) from None
    return parse_mapping(text, str(path), kind)


def profile_mapping(profile: str, kind: str) -> Mapping:
    """The built-in profile's mapping for `kind` (generic: field names only)."""
    if profile == "generic":
        return Mapping()
    if profile not in BUILTIN_PROFILES:
        raise MappingError(
            [error((), f"unknown profile {profile!r} (profiles: {', '.join(PROFILES)})")]
        )
    path = PROFILES_DIR / f"{profile}.yaml"
    source, issues = parse_yaml(path.read_text(encoding="utf-8"), str(path))
    if source is None:
        raise MappingError(issues)
    section = (source.data or {}).get(kind)
    if section is None:
        available = [k for k in KINDS_ORDER if k in (source.data or {})]
        raise MappingError(
            [
                error(
                    (),
                    f"profile {profile!r} has no {kind} mapping (it has: {', '.join(available)})",
                )
            ]
        )
    try:
        mapping = Mapping.model_validate(section)
    except ValidationError as exc:
        raise MappingError(source.locate(validation_issues(exc, (kind,)))) from None
    bad = check_mapping(mapping, kind)
    if bad:  # a shipped profile that does not check is a bug: fail loudly
        raise MappingError(
            source.locate([i.model_copy(update={"loc": (kind, *i.loc)}) for i in bad])
        )
    return mapping


def profile_kinds(profile: str) -> tuple[str, ...]:
    """The kinds a profile maps (every kind for generic)."""
    if profile == "generic":
        return KINDS_ORDER
    path = PROFILES_DIR / f"{profile}.yaml"
    data = parse_document(path.read_text(encoding="utf-8"), str(path)).data or {}
    return tuple(k for k in KINDS_ORDER if k in data and k in KINDS)
