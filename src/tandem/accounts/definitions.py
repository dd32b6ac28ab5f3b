"""The four account definition kinds on the spine (`tandem.definitions`): proposed by one team,
approved by the other, checked at file:line. Defaults ship in `defaults/`."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from tandem.accounts import committee, score_check, stages, targets
from tandem.accounts.loading import load, parse
from tandem.accounts.score_model import AccountScoreModel
from tandem.auth.roles import Role
from tandem.definitions.base import Issue
from tandem.definitions.kinds import DefinitionKind
from tandem.definitions.models import DefinitionVersion

_ACTIVE = select(DefinitionVersion.text, DefinitionVersion.version).where(
    DefinitionVersion.active_key == bindparam("key")
)
CLASSES: dict[str, tuple[type, tuple]] = {
    "account_score": (AccountScoreModel, score_check.CHECKS),
    "buying_committee": (committee.CommitteeDefinition, committee.CHECKS),
    "account_stages": (stages.StagesDefinition, stages.CHECKS),
    "target_accounts": (targets.TargetList, targets.CHECKS),
}


def default_text(kind: str) -> str:
    return resources.files("tandem.accounts").joinpath(f"defaults/{kind}.yaml").read_text()


def active_version(db_session: Session, kind: str) -> tuple[str, int] | None:
    """(text, version number) of the kind's active definition, if one was approved."""
    row = db_session.execute(_ACTIVE, {"key": f"{kind}:default"}).first()
    return (row.text, row.version) if row else None


def active(db_session: Session, kind: str) -> tuple[Any, str]:
    """The active definition of `kind` parsed, and its label (`<kind>@<n>`, or `@default`
    for the shipped default while none was approved)."""
    found = active_version(db_session, kind)
    text, label = (
        (found[0], f"{kind}@{found[1]}") if found else (default_text(kind), f"{kind}@default")
    )
    return _parsed(kind, text, label), label


@lru_cache(maxsize=32)
def _parsed(kind: str, text: str, label: str) -> Any:
    # Parsing is pure and the objects frozen: an activity's rescore must not re-read YAML.
    cls, checks = CLASSES[kind]
    return load(cls, text, label, *checks)


def _roles(db_session: Session) -> tuple[str, ...]:
    definition, _ = active(db_session, "buying_committee")
    return definition.roles


def _check_score(db_session: Session, text: str, file: str) -> Sequence[Issue]:
    roles = score_check.roles_known(_roles(db_session))
    return parse(AccountScoreModel, text, file, *score_check.CHECKS, roles)[1]


def _check_committee(db_session: Session, text: str, file: str) -> Sequence[Issue]:
    return parse(committee.CommitteeDefinition, text, file, *committee.CHECKS)[1]


def _check_stages(db_session: Session, text: str, file: str) -> Sequence[Issue]:
    return parse(stages.StagesDefinition, text, file, *stages.CHECKS)[1]


def _check_targets(db_session: Session, text: str, file: str) -> Sequence[Issue]:
    from tandem.accounts.lists import account_keys

    model, issues, src = parse(targets.TargetList, text, file, *targets.CHECKS)
    if model is not None and (model.members or model.exclude):
        issues += targets.unknown_members(model, src, account_keys(db_session))
    return issues


ACCOUNT_SCORE = DefinitionKind(
    name="account_score",
    title="account score models",
    check=_check_score,
    roles=(Role.MARKETER, Role.SALES_MANAGER),
)
BUYING_COMMITTEE = DefinitionKind(
    name="buying_committee",
    title="buying committee roles and templates",
    check=_check_committee,
    roles=(Role.SALES_MANAGER, Role.MARKETER),
)
ACCOUNT_STAGES = DefinitionKind(
    name="account_stages",
    title="account journey stages",
    check=_check_stages,
    roles=(Role.MARKETER, Role.SALES_MANAGER),
)
TARGET_ACCOUNTS = DefinitionKind(
    name="target_accounts",
    title="target account lists",
    check=_check_targets,
    roles=(Role.MARKETER, Role.SALES_MANAGER),
)
