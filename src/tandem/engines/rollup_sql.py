"""The account engagement roll-up as SQL generated from the account score model, for any
engine, returned in the shape of `tandem.accounts.rescore.rollup_frame`. Pure.

The scan over every activity of every contact (window, weights, decay, per person, per account)
runs where the data lives; what follows is per account (`rescore.score_frame`) and small.
The arithmetic is `rollup_frame`'s, operation for operation (tests/metrics/test_engines_rollup.py
holds them equal). A part's roles come back as rows (account, role) and are gathered into the
sorted list here: engines spell array aggregates differently, and this way none is needed.

Relations read: `members` (``contact_id, account_id, role``) and `touches`
(``contact_id, type, t`` in epoch microseconds).
"""

# ruff: noqa: S608  (SQL text built from a validated model: values are quoted by the Dialect)
from collections.abc import Callable, Mapping

import polars as pl

from tandem.accounts.score import NO_ROLE, weight_units
from tandem.accounts.score_model import AccountScoreModel
from tandem.engines.rescore_sql import _double, _round_half_away
from tandem.metrics.engine import Engine
from tandem.metrics.sql import Dialect, Statement
from tandem.scoring.engine import UNITS_PER_CENT, US_PER_DAY, to_cents

RELATIONS = ("members", "touches")


def rollup_statements(
    model: AccountScoreModel, as_of_us: int, d: Dialect
) -> tuple[Statement, Statement]:
    """(aggregates, roles): account_id, people, last_t and ``a_<part>`` per account; the
    distinct known roles engaged per account."""
    weights = weight_units(model)
    weight = " ".join(f"WHEN {d.string(k)} THEN {w}" for k, w in weights.items())
    age = f"({as_of_us} - t)"
    window = model.engagement.window_days * US_PER_DAY
    acts = (
        f"SELECT contact_id, t, CAST(CASE type {weight} END AS BIGINT) AS w, {age} AS age"
        f" FROM touches WHERE {age} >= 0 AND {age} < {window}"
        f" AND type IN ({', '.join(d.string(k) for k in weights)})"
    )
    person = ["SUM(w) AS u", "MAX(t) AS last_t"]
    for p in model.engagement.parts:
        if p.aggregation == "decayed_sum":
            exponent = f"((CAST(age AS DOUBLE) / {US_PER_DAY}) / {_double(p.half_life_days)})"
            value = _round_half_away(f"(CAST(w AS DOUBLE) * pow({_double(0.5)}, {exponent}))")
            person.append(f"SUM({value}) AS {d.column('d_' + p.id)}")
    people = (
        f"SELECT a.*, m.account_id, CASE WHEN m.role <> {d.string(NO_ROLE)} THEN m.role END"
        f" AS known_role FROM (SELECT contact_id, {', '.join(person)} FROM ({acts}) x"
        " GROUP BY contact_id) a JOIN members m ON a.contact_id = m.contact_id"
        " WHERE m.account_id IS NOT NULL"
    )
    aggregates = ["COUNT(*) AS people", "MAX(last_t) AS last_t"]
    for p in model.engagement.parts:
        match p.aggregation:
            case "sum":
                u = "u"
                if p.person_cap is not None:
                    u = f"least(u, {to_cents(p.person_cap) * UNITS_PER_CENT})"
                expr = f"SUM({u})"
            case "max":
                expr = "MAX(u)"
            case "decayed_sum":
                expr = f"SUM({d.column('d_' + p.id)})"
            case "distinct_people":
                expr = "COUNT(*)"
            case "distinct_roles":
                expr = "COUNT(DISTINCT known_role)"
        aggregates.append(f"CAST({expr} AS BIGINT) AS {d.column('a_' + p.id)}")
    rolled = f"SELECT account_id, {', '.join(aggregates)} FROM ({people}) p GROUP BY account_id"
    roles = (
        f"SELECT DISTINCT account_id, known_role AS role FROM ({people}) p"
        " WHERE known_role IS NOT NULL"
    )
    return Statement(rolled, ()), Statement(roles, ())


def rollup(
    build: Callable[[Mapping[str, Callable[[], pl.DataFrame]]], Engine],
    model: AccountScoreModel,
    contacts: pl.DataFrame,
    activities: pl.DataFrame,
    as_of_us: int,
) -> pl.DataFrame:
    """`rollup_frame`'s result, computed by the engine `build` makes over `contacts`
    (contact_id, account_id, role) and `activities` (contact_id, type, t)."""
    members = contacts.select("contact_id", "account_id", pl.col("role").cast(pl.String))
    touches = activities.select("contact_id", pl.col("type").cast(pl.String), "t")
    engine = build({"members": lambda: members, "touches": lambda: touches})
    rolled_sql, roles_sql = rollup_statements(model, as_of_us, engine.dialect)
    rolled = pl.from_arrow(engine.arrow(RELATIONS, rolled_sql))
    roles = pl.from_arrow(engine.arrow(RELATIONS, roles_sql))
    assert isinstance(rolled, pl.DataFrame) and isinstance(roles, pl.DataFrame)
    lists = roles.group_by("account_id").agg(pl.col("role").sort().alias("roles"))
    parts = [f"a_{p.id}" for p in model.engagement.parts]
    return rolled.join(lists, on="account_id", how="left").select(
        pl.col("account_id").cast(contacts.schema["account_id"]),
        pl.col("people").cast(pl.UInt32),
        pl.col("roles").fill_null(pl.lit([], pl.List(pl.String))),
        pl.col("last_t").cast(pl.Int64),
        *[pl.col(c).cast(pl.Int64) for c in parts],
    )
