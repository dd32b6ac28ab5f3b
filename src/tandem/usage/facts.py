"""The usage capability's rows of the columnar copy (`tandem.analytics.snapshot`): the PQLs,
for the metric registry's `pqls`."""

from __future__ import annotations

import polars as pl
from sqlalchemy import Connection, select

from tandem.usage.models import PqlMatch
from tandem.usage.pql import RELATION_SCHEMA


def pql_frame(connection: Connection) -> pl.DataFrame:
    """Every PQL that became an MQL: contact, account, rule version, plan, matched moment."""
    rows = connection.execute(
        select(
            PqlMatch.contact_id, PqlMatch.account_id, PqlMatch.rule_version, PqlMatch.plan,
            PqlMatch.matched_at,
        ).where(PqlMatch.became_mql.is_(True))
    ).all()  # fmt: skip
    data = [(c, a, v, p, m.timestamp()) for c, a, v, p, m in rows]
    return pl.DataFrame(data, schema=RELATION_SCHEMA, orient="row")
