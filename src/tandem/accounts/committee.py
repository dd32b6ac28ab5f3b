"""Buying committees, pure: the configurable roles, title rules with a confidence, role
templates per segment or product, and coverage (roles present and engaged, the missing ones
named, the contacts to reach suggested). The `buying_committee` definition kind."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from pydantic import Field

from tandem.accounts.loading import at
from tandem.definitions.base import ConfigModel, Issue
from tandem.scoring.issues import SourceMap
from tandem.scoring.model import RuleId

RoleKey = str


class TitleRule(ConfigModel):
    id: RuleId
    pattern: str = Field(description="Regex searched in the title, any case.")
    role: RoleKey
    confidence: int = Field(ge=1, le=100)


class RoleTemplate(ConfigModel):
    """The roles a deal needs; `segment` / `product` choose it (neither: the fallback)."""

    id: RuleId
    segment: str | None = None
    product: str | None = None
    roles: tuple[RoleKey, ...] = Field(min_length=1)


class CommitteeDefinition(ConfigModel):
    name: str = "default"
    roles: tuple[RoleKey, ...] = Field(min_length=1)
    imports: dict[str, RoleKey] = Field(
        default_factory=dict,
        description="Imported role labels (HubSpot, Salesforce contact roles) -> roles.",
    )
    title_rules: tuple[TitleRule, ...] = ()
    templates: tuple[RoleTemplate, ...] = Field(min_length=1)


def known_roles(d: CommitteeDefinition, src: SourceMap) -> Iterator[Issue]:
    roles = set(d.roles)
    where: list[tuple[tuple, str]] = [(("imports", k), v) for k, v in d.imports.items()]
    where += [(("title_rules", i, "role"), r.role) for i, r in enumerate(d.title_rules)]
    where += [
        (("templates", i, "roles", j), role)
        for i, t in enumerate(d.templates)
        for j, role in enumerate(t.roles)
    ]
    for path, role in where:
        if role not in roles:
            yield at(
                src,
                path,
                f"role {role!r} is not in the configured roles ({', '.join(d.roles)})",
                "unknown-role",
            )


def patterns(d: CommitteeDefinition, src: SourceMap) -> Iterator[Issue]:
    for i, rule in enumerate(d.title_rules):
        try:
            re.compile(rule.pattern)
        except re.error as exc:
            yield at(src, ("title_rules", i, "pattern"), f"bad pattern: {exc}", "regex")


def fallback(d: CommitteeDefinition, src: SourceMap) -> Iterator[Issue]:
    if not any(t.segment is None and t.product is None for t in d.templates):
        yield at(
            src,
            ("templates",),
            "one template needs neither segment nor product (the fallback)",
            "fallback",
        )


CHECKS = (known_roles, patterns, fallback)


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Guess:
    role: str
    confidence: int
    rule_id: str


def guess_role(d: CommitteeDefinition, title: str | None) -> Guess | None:
    """The first title rule matching `title` ("likely champion, 60%"), if any."""
    if not title:
        return None
    for rule in d.title_rules:
        if _compiled(rule.pattern).search(title):
            return Guess(rule.role, rule.confidence, rule.id)
    return None


def imported_role(d: CommitteeDefinition, label: str | None) -> str | None:
    """Our role for an imported label (a role key itself, or a mapped label), else None."""
    if not label:
        return None
    key = label.strip()
    if key in d.roles:
        return key
    lowered = {k.lower(): v for k, v in d.imports.items()}
    return lowered.get(key.lower())


def template_for(
    d: CommitteeDefinition, *, segment: str | None = None, product: str | None = None
) -> RoleTemplate:
    """The most specific template: product, then segment, then the fallback."""
    seg, prod = (segment or "").lower(), (product or "").lower()
    for t in d.templates:
        if t.product and t.product.lower() == prod:
            return t
    for t in d.templates:
        if t.segment and t.segment.lower() == seg and not t.product:
            return t
    return next(t for t in d.templates if t.segment is None and t.product is None)


@dataclass(frozen=True, slots=True)
class Member:
    contact_id: int
    name: str
    title: str | None
    role: str | None  # the role held (imported, confirmed or guessed), None when unknown
    confidence: int  # 100 for imported or confirmed roles
    source: str
    engaged: bool


@dataclass(frozen=True)
class Coverage:
    template: str
    needed: tuple[str, ...]
    covered: tuple[str, ...]  # present and engaged
    present_not_engaged: tuple[str, ...]
    missing: tuple[str, ...]
    suggestions: Mapping[str, tuple[Member, ...]]  # missing role -> contacts to reach

    @property
    def share(self) -> float:
        return len(self.covered) / len(self.needed) if self.needed else 1.0


def coverage(
    d: CommitteeDefinition,
    template: RoleTemplate,
    members: Sequence[Member],
    guesses: Mapping[int, Guess] | None = None,
) -> Coverage:
    """Roles of `template` present and engaged; for each missing role, the contacts to reach
    (title guesses for that role first, by confidence; then engaged contacts with no role)."""
    guesses = guesses or {}
    held = {m.role for m in members if m.role}
    engaged = {m.role for m in members if m.role and m.engaged}
    needed = tuple(template.roles)
    missing = tuple(r for r in needed if r not in engaged)
    suggestions = {}
    for role in missing:
        by_guess = sorted(
            (m for m in members if (g := guesses.get(m.contact_id)) and g.role == role),
            key=lambda m: (-guesses[m.contact_id].confidence, m.contact_id),
        )
        holders = [m for m in members if m.role == role and not m.engaged]
        unknown = [m for m in members if m.role is None and m.engaged]
        picks = list(dict.fromkeys([*holders, *by_guess, *unknown]))[:3]
        suggestions[role] = tuple(picks)
    return Coverage(
        template=template.id,
        needed=needed,
        covered=tuple(r for r in needed if r in engaged),
        present_not_engaged=tuple(r for r in needed if r in held and r not in engaged),
        missing=missing,
        suggestions=suggestions,
    )
