"""Target account lists, pure: rules on account fields, members by hand or CSV, tiers 1-3, a
capacity per tier per rep (the `target_accounts` definition kind), and the membership a list
version gives."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import Field

from tandem.accounts.fields import ACCOUNT_FIELDS, OP_KINDS
from tandem.accounts.loading import at
from tandem.definitions.base import ConfigModel, Issue
from tandem.scoring.issues import SourceMap
from tandem.scoring.match import fit_matches
from tandem.scoring.model import EqualsRule, ExistsRule, InRule, RangeRule, RegexRule, RuleId

Tier = Annotated[int, Field(ge=1, le=3)]


class _Cond:
    """A condition is a lead-score fit rule without id or points (same semantics)."""


class EqualsCond(EqualsRule, _Cond):
    id: str = "condition"
    points: float = 0


class InCond(InRule, _Cond):
    id: str = "condition"
    points: float = 0


class RangeCond(RangeRule, _Cond):
    id: str = "condition"
    points: float = 0


class RegexCond(RegexRule, _Cond):
    id: str = "condition"
    points: float = 0


class ExistsCond(ExistsRule, _Cond):
    id: str = "condition"
    points: float = 0


Condition = Annotated[
    EqualsCond | InCond | RangeCond | RegexCond | ExistsCond, Field(discriminator="op")
]


class ListRule(ConfigModel):
    """Accounts matching every condition join with `tier` (the first matching rule wins)."""

    id: RuleId
    tier: Tier
    where: tuple[Condition, ...] = Field(min_length=1)


class Member(ConfigModel):
    """An account added by hand (or from a CSV), named by domain, external id or name."""

    domain: str | None = None
    external_id: str | None = None
    name: str | None = None
    tier: Tier

    def key(self) -> tuple[str, str]:
        for field in ("domain", "external_id", "name"):
            value = getattr(self, field)
            if value:
                return field, str(value).lower()
        return "name", ""


class TargetList(ConfigModel):
    name: str = "default"
    description: str = ""
    rules: tuple[ListRule, ...] = ()
    members: tuple[Member, ...] = ()
    exclude: tuple[Member, ...] = ()
    capacity: dict[Literal[1, 2, 3], int] = Field(
        default_factory=dict, description="Most target accounts of a tier per rep."
    )


def fields_known(d: TargetList, src: SourceMap) -> Iterator[Issue]:
    for i, rule in enumerate(d.rules):
        for j, cond in enumerate(rule.where):
            path = ("rules", i, "where", j)
            kind = ACCOUNT_FIELDS.get(cond.field)
            if kind is None:
                yield at(
                    src,
                    (*path, "field"),
                    f"unknown field {cond.field!r}; known: {', '.join(sorted(ACCOUNT_FIELDS))}",
                    "unknown-field",
                )
            elif kind not in OP_KINDS[cond.op]:
                yield at(
                    src,
                    (*path, "op"),
                    f"{cond.op} cannot match {cond.field} ({kind})",
                    "field-kind",
                )


def members_named(d: TargetList, src: SourceMap) -> Iterator[Issue]:
    for group in ("members", "exclude"):
        for i, m in enumerate(getattr(d, group)):
            if m.key()[1] == "":
                yield at(src, (group, i), "a member needs a domain, external_id or name")


CHECKS = (fields_known, members_named)


def unknown_members(
    d: TargetList, src: SourceMap, known: Mapping[tuple[str, str], int]
) -> Iterator[Issue]:
    """Members naming no account (`known`: (field, lower-cased value) -> account id)."""
    for group in ("members", "exclude"):
        for i, m in enumerate(getattr(d, group)):
            if m.key()[1] and m.key() not in known:
                yield at(
                    src,
                    (group, i),
                    f"no account with {m.key()[0]} {m.key()[1]!r}",
                    "unknown-account",
                )


def tier_of(d: TargetList, fields: Mapping[str, Any]) -> tuple[int, str] | None:
    """(tier, rule id) of the first rule whose every condition holds."""
    for rule in d.rules:
        if all(fit_matches(c, fields.get(c.field)) for c in rule.where):
            return rule.tier, rule.id
    return None


@dataclass(frozen=True, slots=True)
class Membership:
    account_id: int
    tier: int
    reason: str  # rule:<id> | member


def members(
    d: TargetList,
    accounts: Mapping[int, Mapping[str, Any]],
    named: Mapping[tuple[str, str], int],
) -> dict[int, Membership]:
    """Account id -> membership: members by hand override the rules; exclusions win."""
    out: dict[int, Membership] = {}
    for account_id, fields in accounts.items():
        found = tier_of(d, fields)
        if found is not None:
            out[account_id] = Membership(account_id, found[0], f"rule:{found[1]}")
    for m in d.members:
        if (aid := named.get(m.key())) is not None:
            out[aid] = Membership(aid, m.tier, "member")
    for m in d.exclude:
        if (aid := named.get(m.key())) is not None:
            out.pop(aid, None)
    return out


def over_capacity(
    d: TargetList, chosen: Mapping[int, Membership], owners: Mapping[int, str | None]
) -> list[str]:
    """Reps holding more target accounts of a tier than the list's capacity allows."""
    counts = Counter((owners.get(a) or "unassigned", m.tier) for a, m in chosen.items())
    return [
        f"{owner} has {n} tier {tier} accounts (capacity {d.capacity[tier]})"
        for (owner, tier), n in sorted(counts.items())
        if owner != "unassigned" and tier in d.capacity and n > d.capacity[tier]  # type: ignore[index]
    ]


def members_from_csv(text: str) -> tuple[list[tuple[int, dict[str, Any]]], list[str]]:
    """(row number, member) from CSV (domain|external_id|name, tier); errors name the row."""
    reader = csv.DictReader(io.StringIO(text))
    cols = set(reader.fieldnames or ())
    if "tier" not in cols or not cols & {"domain", "external_id", "name"}:
        return [], ["row 1: the CSV needs a tier column and a domain, external_id or name column"]
    rows, errors = [], []
    for n, row in enumerate(reader, start=2):
        tier = (row.get("tier") or "").strip()
        if tier not in {"1", "2", "3"}:
            errors.append(f"row {n}: tier {tier!r} is not 1, 2 or 3")
            continue
        key = next(
            (
                (f, row[f].strip())
                for f in ("domain", "external_id", "name")
                if (row.get(f) or "").strip()
            ),
            None,
        )
        if key is None:
            errors.append(f"row {n}: no domain, external_id or name")
            continue
        rows.append((n, {key[0]: key[1], "tier": int(tier)}))
    return rows, errors
