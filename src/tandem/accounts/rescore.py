"""The full account rescore, vectorised: the engagement roll-up of every account in one Polars
pass over activities x contacts, then `score.assemble` per account (the engine's own code for
points, so both paths give the same parts; a test holds them equal).

Inputs are frames from the columnar copy or the store:
* contacts: contact_id, account_id, role (buying role or null)
* activities: contact_id, type, t (epoch microseconds)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import polars as pl

from tandem.accounts.score import NO_ROLE, AccountScore, Engagement, Signal, assemble, weight_units
from tandem.accounts.score_model import AccountScoreModel
from tandem.scoring.engine import UNITS_PER_CENT, US_PER_DAY, to_cents


def _round_half_away(x: pl.Expr) -> pl.Expr:
    return ((x.abs() + 0.5).floor() * x.sign()).cast(pl.Int64)


def rollup_frame(
    model: AccountScoreModel, contacts: pl.LazyFrame, activities: pl.LazyFrame, as_of_us: int
) -> pl.DataFrame:
    """account_id, one aggregate column per engagement part, people, roles, last_t."""
    weights = weight_units(model)
    window = model.engagement.window_days * US_PER_DAY
    w = pl.DataFrame(
        {"type": list(weights), "w": list(weights.values())},
        schema={"type": pl.String, "w": pl.Int64},
    ).lazy()
    age = pl.lit(as_of_us, pl.Int64) - pl.col("t")
    acts = (
        activities.select("contact_id", pl.col("type").cast(pl.String), "t")
        .filter((age >= 0) & (age < window))
        .join(w, on="type", how="inner")
    )
    decayed_parts = [p for p in model.engagement.parts if p.aggregation == "decayed_sum"]
    exponent = age.cast(pl.Float64) / US_PER_DAY
    person_aggs = [pl.col("w").sum().alias("u"), pl.col("t").max().alias("last_t")]
    for p in decayed_parts:
        value = _round_half_away(
            pl.col("w").cast(pl.Float64) * pl.lit(0.5).pow(exponent / p.half_life_days)
        )
        person_aggs.append(value.sum().alias(f"d_{p.id}"))
    people = (
        acts.group_by("contact_id")
        .agg(person_aggs)
        .join(contacts.select("contact_id", "account_id", "role"), on="contact_id", how="inner")
        .filter(pl.col("account_id").is_not_null())
    )
    role = pl.when(pl.col("role") != NO_ROLE).then(pl.col("role"))
    account_aggs: list[pl.Expr] = [
        pl.len().alias("people"),
        role.drop_nulls().unique().sort().alias("roles"),
        pl.col("last_t").max(),
    ]
    for p in model.engagement.parts:
        match p.aggregation:
            case "sum":
                u = pl.col("u")
                if p.person_cap is not None:
                    u = u.clip(upper_bound=to_cents(p.person_cap) * UNITS_PER_CENT)
                expr = u.sum()
            case "max":
                expr = pl.col("u").max()
            case "decayed_sum":
                expr = pl.col(f"d_{p.id}").sum()
            case "distinct_people":
                expr = pl.len()
            case "distinct_roles":
                expr = role.drop_nulls().n_unique()
        account_aggs.append(expr.cast(pl.Int64).alias(f"a_{p.id}"))
    return people.group_by("account_id").agg(account_aggs).collect()


def engagements(model: AccountScoreModel, frame: pl.DataFrame) -> Iterator[tuple[int, Engagement]]:
    """(account_id, Engagement) from `rollup_frame`'s rows."""
    ids = [p.id for p in model.engagement.parts]
    for row in frame.iter_rows(named=True):
        yield (
            row["account_id"],
            Engagement(
                aggregates={i: int(row[f"a_{i}"]) for i in ids},
                people=int(row["people"]),
                roles=frozenset(row["roles"] or ()),
                last_t=row["last_t"],
            ),
        )


def rescore(
    model: AccountScoreModel,
    *,
    accounts: Mapping[int, Mapping[str, Any]],
    contacts: pl.LazyFrame,
    activities: pl.LazyFrame,
    signals: Mapping[int, Sequence[Signal]] | None = None,
    as_of_us: int,
) -> list[AccountScore]:
    """Every account's score (accounts without a touch score fit, intent and coverage only)."""
    frame = rollup_frame(model, contacts, activities, as_of_us)
    found: dict[int, Engagement] = dict(engagements(model, frame))
    empty = Engagement({p.id: 0 for p in model.engagement.parts})
    by_account = signals or defaultdict(list)
    return [
        assemble(model, aid, fields, found.get(aid, empty), by_account.get(aid, ()), as_of_us)
        for aid, fields in accounts.items()
    ]
