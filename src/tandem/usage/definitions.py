"""The health model as a versioned definition (`tandem.definitions`).

Proposed by a marketer or a sales manager and approved by the other: the model decides which
customers sales is told are at risk or ready to expand, and which free accounts marketing's
funnel receives as PQLs, so both teams agree on it (there is no customer-success role; an
admin stands for RevOps as for every kind). Checked at `file:line`: fields, thresholds, weights
that sum to 100 per scorecard, a segment claimed by one scorecard only.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib.resources import files

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.auth.roles import Role
from tandem.definitions.base import Issue
from tandem.definitions.kinds import DefinitionKind
from tandem.definitions.models import DefinitionVersion
from tandem.usage.health_model import HealthModel, parse_model
from tandem.usage.pql import PqlRule, parse_rule


def _check(db_session: Session, text: str, file: str) -> Sequence[Issue]:
    return parse_model(text, file)[1]


HEALTH_MODEL = DefinitionKind(
    name="health_model",
    title="health models",
    check=_check,
    roles=(Role.MARKETER, Role.SALES_MANAGER),
)


@cache
def default_text() -> str:
    """The packaged default health model's YAML."""
    return files("tandem.usage").joinpath("data/health_model.yaml").read_text(encoding="utf-8")


def default_model() -> HealthModel:
    """The packaged default model (used until a version is approved)."""
    model, issues = parse_model(default_text(), "tandem/usage/data/health_model.yaml")
    assert model is not None, issues
    return model


def active_model(db_session: Session) -> tuple[HealthModel, int]:
    """The approved health model in force and its version (0: the packaged default)."""
    row = db_session.execute(
        select(DefinitionVersion.text, DefinitionVersion.version).where(
            DefinitionVersion.active_key == "health_model:default"
        )
    ).first()
    if row is None:
        return default_model(), 0
    model, issues = parse_model(row.text, "<active health_model>")
    if model is None:  # checked when approved; only a code change could make it invalid
        raise ValueError("\n".join(str(i) for i in issues))
    return model, row.version


def _check_pql(db_session: Session, text: str, file: str) -> Sequence[Issue]:
    return parse_rule(text, file)[1]


#: The PQL rule: which free or trial users marketing's funnel receives as MQLs and sales is
#: handed, so both teams agree on it (proposed by one, approved by the other).
PQL_RULE = DefinitionKind(
    name="pql_rule",
    title="PQL rules",
    check=_check_pql,
    roles=(Role.MARKETER, Role.SALES_MANAGER),
)


@cache
def default_pql_text() -> str:
    """The packaged PQL rule's YAML (put in force by `tandem demo setup`, never by itself)."""
    return files("tandem.usage").joinpath("data/pql_rule.yaml").read_text(encoding="utf-8")


def active_pql_rule(db_session: Session) -> tuple[PqlRule, int] | None:
    """The approved PQL rule in force and its version; None until one is approved (a rule
    that moves contacts into the funnel runs only once both teams agreed on it)."""
    row = db_session.execute(
        select(DefinitionVersion.text, DefinitionVersion.version).where(
            DefinitionVersion.active_key == "pql_rule:default"
        )
    ).first()
    if row is None:
        return None
    rule, issues = parse_rule(row.text, "<active pql_rule>")
    if rule is None:  # checked when approved; only a code change could make it invalid
        raise ValueError("\n".join(str(i) for i in issues))
    return rule, row.version
