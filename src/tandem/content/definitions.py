"""The content taxonomy as a definition kind: a marketer proposes, a sales manager approves (or
the other way round), checked at file:line like routing and SLA policies."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from tandem.auth.roles import Role
from tandem.content.taxonomy import Taxonomy, default_taxonomy, parse_taxonomy
from tandem.definitions.base import Issue
from tandem.definitions.kinds import DefinitionKind
from tandem.definitions.models import DefinitionVersion

KIND = "content_taxonomy"


def _check(db_session: Session, text: str, file: str) -> Sequence[Issue]:
    return parse_taxonomy(text, file)[1]


TAXONOMY = DefinitionKind(
    name=KIND,
    title="content taxonomy (stages, types, personas)",
    check=_check,
    roles=(Role.MARKETER, Role.SALES_MANAGER),
)


def active_taxonomy(db_session: Session | Connection) -> Taxonomy:
    """The approved taxonomy, or the one shipped with Tandem while none is (a session, or the
    connection an import writes on)."""
    text = db_session.scalar(
        select(DefinitionVersion.text).where(DefinitionVersion.active_key == f"{KIND}:default")
    )
    if text is None:
        return default_taxonomy()
    taxonomy, _ = parse_taxonomy(text, "<active content taxonomy>")
    return taxonomy or default_taxonomy()
