"""The full account rescore, vectorised: the engagement roll-up of every account in one Polars
pass over activities x contacts, then `score.assemble` per account (the engine's own code for
points, so both paths give the same parts; a test holds them equal).

Inputs are frames from the columnar copy or the store:
* contacts: contact_id, account_id, role (buying role or null)
* activities: contact_id, type, t (epoch microseconds)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import polars as pl

from tandem.accounts.score import (
    NO_ROLE,
    UNIT_CENT_SCALE,
    AccountScore,
    Part,
    Signal,
    coverage,
    engagement_part,
    fit_part,
    intent_part,
    weight_units,
)
from tandem.accounts.score_model import AccountScoreModel, EngagementPart
from tandem.scoring.engine import UNITS_PER_CENT, US_PER_DAY, to_cents
from tandem.scoring.rescore import fit_condition

#: The roll-up of every account (`rollup_frame`, or the same computed by another engine).
Rollup = Callable[[AccountScoreModel, pl.LazyFrame, pl.LazyFrame, int], pl.DataFrame]


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


def _part_cents(part: EngagementPart, aggregate: pl.Expr) -> pl.Expr:
    """`score.part_cents`, vectorised."""
    per = to_cents(part.per)
    if part.aggregation in ("distinct_people", "distinct_roles"):
        raw = aggregate * per
    else:
        raw = (aggregate * per + UNIT_CENT_SCALE // 2) // UNIT_CENT_SCALE
    return pl.min_horizontal(raw, pl.lit(to_cents(part.cap), pl.Int64))


def intent_counts(
    model: AccountScoreModel, signals: pl.LazyFrame | None, as_of_us: int
) -> pl.LazyFrame | None:
    """account_id, n_<rule> (signals each intent rule counts)."""
    if model.intent is None or not model.intent.rules or signals is None:
        return None
    age = pl.lit(as_of_us, pl.Int64) - pl.col("t")
    recent = signals.filter((age >= 0) & (age < model.intent.window_days * US_PER_DAY))
    topic = pl.col("topic").cast(pl.String).str.to_lowercase()
    counts = [
        (topic.is_in([t.lower() for t in r.topics]) & (pl.col("strength") >= r.min_strength))
        .sum()
        .cast(pl.Int64)
        .alias(f"n_{r.id}")
        for r in model.intent.rules
    ]
    return recent.group_by("account_id").agg(counts)


def score_frame(
    model: AccountScoreModel,
    accounts: pl.LazyFrame,
    rolled: pl.DataFrame,
    signals: pl.LazyFrame | None,
    as_of_us: int,
) -> pl.DataFrame:
    """Every account's parts in cents (columns `fit:<id>`, `engagement:<id>`, `intent:<id>`,
    `coverage:roles`), section sums, total and MQA, with the aggregates they came from."""
    schema = accounts.collect_schema()
    frame = accounts.join(rolled.lazy(), on="account_id", how="left")
    intents = intent_counts(model, signals, as_of_us)
    if intents is not None:
        frame = frame.join(intents, on="account_id", how="left")
    cols: dict[str, pl.Expr] = {}
    for rule in model.fit.rules:
        cond = fit_condition(rule, schema)
        cols[f"fit:{rule.id}"] = pl.when(cond).then(to_cents(rule.points)).otherwise(0)
    for part in model.engagement.parts:
        cols[f"engagement:{part.id}"] = _part_cents(part, pl.col(f"a_{part.id}").fill_null(0))
    for r in model.intent.rules if model.intent else ():
        count = pl.col(f"n_{r.id}").fill_null(0) if intents is not None else pl.lit(0)
        cols[f"intent:{r.id}"] = pl.min_horizontal(count * to_cents(r.points), to_cents(r.cap))
    if model.coverage is not None:
        wanted = list(dict.fromkeys(model.coverage.roles))
        roles = pl.col("roles").fill_null(pl.lit([], pl.List(pl.String)))
        covered = pl.sum_horizontal([roles.list.contains(r).cast(pl.Int64) for r in wanted])
        top, n = to_cents(model.coverage.max), len(wanted)
        cols["covered"] = covered
        cols["coverage:roles"] = (2 * top * covered + n) // (2 * n)
    frame = frame.with_columns(**{k: v.cast(pl.Int64) for k, v in cols.items()})
    sections = {}
    for section, _ in model.sections():
        names = [k for k in cols if k.startswith(f"{section}:")]
        sections[section] = pl.sum_horizontal(names) if names else pl.lit(0, pl.Int64)
    frame = frame.with_columns(**sections).with_columns(
        total=pl.sum_horizontal([pl.col(s) for s in sections])
    )
    mqa = pl.lit(True)
    rule = model.mqa
    for key, column in (
        ("total", "total"),
        ("fit", "fit"),
        ("engagement", "engagement"),
        ("coverage", "coverage"),
    ):
        threshold = getattr(rule, key)
        if threshold is not None:
            present = column in sections or column == "total"
            mqa = mqa & ((pl.col(column) if present else pl.lit(0)) >= to_cents(threshold))
    return frame.with_columns(is_mqa=mqa).collect()


def accounts_frame(
    accounts: Mapping[int, Mapping[str, Any]], columns: Sequence[str]
) -> pl.DataFrame:
    """account_id and one column per `account.*` field from plain fields."""
    data: dict[str, list[Any]] = {"account_id": list(accounts)}
    for column in columns:
        data[column] = [fields.get(column) for fields in accounts.values()]
    return pl.DataFrame(data, strict=False)


def to_scores(model: AccountScoreModel, frame: pl.DataFrame) -> list[AccountScore]:
    """The explained scores from `score_frame`'s rows: each part by the engine's own helper,
    so the details read the same as an incremental score's."""
    out = []
    for row in frame.iter_rows(named=True):
        parts: list[Part] = [fit_part(r) for r in model.fit.rules if row[f"fit:{r.id}"]]
        for p in model.engagement.parts:
            if (found := engagement_part(p, row[f"a_{p.id}"] or 0)) is not None:
                parts.append(found)
        for r in model.intent.rules if model.intent else ():
            if (found := intent_part(r, row.get(f"n_{r.id}") or 0)) is not None:
                parts.append(found)
        roles = frozenset(row["roles"] or ())
        cover, missing = coverage(model, roles)
        score = AccountScore(
            account_id=row["account_id"],
            parts=tuple(parts + cover),
            is_mqa=bool(row["is_mqa"]),
            people_engaged=row["people"] or 0,
            roles_engaged=tuple(sorted(roles)),
            roles_missing=tuple(missing),
            last_touch_us=row["last_t"],
        )
        out.append(score)
    return out


def rescore(
    model: AccountScoreModel,
    *,
    accounts: Mapping[int, Mapping[str, Any]] | pl.DataFrame,
    contacts: pl.LazyFrame,
    activities: pl.LazyFrame,
    signals: pl.LazyFrame | None = None,
    as_of_us: int,
    rollup: Rollup | None = None,
) -> list[AccountScore]:
    """Every account's explained score (accounts without a touch: fit, intent, coverage)."""
    return to_scores(
        model,
        full_frame(
            model,
            accounts=accounts,
            contacts=contacts,
            activities=activities,
            signals=signals,
            as_of_us=as_of_us,
            rollup=rollup,
        ),
    )


def full_frame(
    model: AccountScoreModel,
    *,
    accounts: Mapping[int, Mapping[str, Any]] | pl.DataFrame,
    contacts: pl.LazyFrame,
    activities: pl.LazyFrame,
    signals: pl.LazyFrame | None = None,
    as_of_us: int,
    rollup: Rollup | None = None,
) -> pl.DataFrame:
    """The full rescore as one frame: every account's parts, sections, total and MQA; the
    roll-up by `rollup` (default: `rollup_frame`, in this process)."""
    if not isinstance(accounts, pl.DataFrame):
        accounts = accounts_frame(accounts, sorted({r.field for r in model.fit.rules}))
    rolled = (rollup or rollup_frame)(model, contacts, activities, as_of_us)
    return score_frame(model, accounts.lazy(), rolled, signals, as_of_us).sort("account_id")


def signals_frame(signals: Mapping[int, Sequence[Signal]]) -> pl.LazyFrame:
    rows = [(a, s.topic, s.strength, s.t) for a, found in signals.items() for s in found]
    return pl.DataFrame(
        rows,
        schema={"account_id": pl.Int64, "topic": pl.String, "strength": pl.Int64, "t": pl.Int64},
        orient="row",
    ).lazy()
