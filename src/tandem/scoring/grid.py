"""The backtest's replay grid: a model's exact scores at many dates, computed together.

The arithmetic is `rescore`'s (a property test checks every date against the pure engine),
organised for many dates: fit rules run once (fit uses today's fields), each behaviour rule
matches its activities once (URL regexes once per distinct URL), and the matches are crossed
with the dates and scored in one Polars plan, in chunks that bound memory. Contacts whose best
possible score cannot meet the loosest MQL rule the caller will test are left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import polars as pl

from tandem.scoring.engine import epoch_us
from tandem.scoring.model import BehaviourRule, MqlRule, ScoringModel
from tandem.scoring.rescore import (
    Frame,
    as_lazy,
    filter_columns,
    fit_parts,
    matched_activities,
    prepare_activities,
    rule_parts,
    url_matches,
)


def _upper_bounds(
    model: ScoringModel, matched: dict[str, pl.DataFrame], ids: pl.DataFrame
) -> pl.DataFrame:
    """contact_id, eng_max_cents: the most engagement each contact can have at any date.

    Decay and daily caps only shrink an occurrence and negative rules only subtract, so a
    positive rule gives at most min(cap, points x occurrences).
    """
    bound = ids.select("contact_id", pl.lit(0, pl.Int64).alias("eng_max_cents"))
    for rule in model.behaviour_rules:
        if rule.points <= 0:
            continue
        cents = round(rule.points * 100)
        counts = matched[rule.id].group_by("contact_id").agg(pl.len().alias("n"))
        most = pl.col("n") * cents
        if rule.cap is not None:
            most = pl.min_horizontal(most, pl.lit(round(rule.cap * 100)))
        bound = (
            bound.join(counts.select("contact_id", most.alias("m")), on="contact_id", how="left")
            .with_columns(pl.col("eng_max_cents") + pl.col("m").fill_null(0))
            .drop("m")
        )
    return bound


def _candidates(
    model: ScoringModel, fit: pl.DataFrame, matched: dict[str, pl.DataFrame], floor: MqlRule
) -> pl.DataFrame:
    """contact_id, fit_cents of the contacts that could meet `floor` at some date."""
    bound = _upper_bounds(model, matched, fit.select("contact_id"))
    both = fit.join(bound, on="contact_id").with_columns(
        (pl.col("fit_cents") + pl.col("eng_max_cents")).alias("total_max_cents")
    )
    cond = pl.lit(True)
    for threshold, column in (
        (floor.fit, "fit_cents"),
        (floor.engagement, "eng_max_cents"),
        (floor.total, "total_max_cents"),
    ):
        if threshold is not None:
            cond = cond & (pl.col(column) >= round(threshold * 100))
    return both.filter(cond).select("contact_id", "fit_cents")


def score_grid(
    model: ScoringModel,
    contacts: Frame,
    activities: Frame,
    dates: Sequence[datetime],
    *,
    floor: MqlRule | None = None,
) -> pl.DataFrame:
    """contact_id, k (grid index), fit/engagement/total cents as of each date.

    The exact arithmetic of `rescore`, organised for many dates: fit rules are evaluated once
    (fit uses today's fields), each behaviour rule matches its activities once, and only decay
    and caps run per date. With `floor` (the loosest MQL rule the caller will test), contacts
    whose best possible score cannot meet it are left out of the grid: they never cross.
    """
    people = as_lazy(contacts)
    people_schema = people.collect_schema()
    end_us = epoch_us(max(dates))
    types = sorted({r.activity_type for r in model.behaviour_rules})
    # Read once into memory what any rule could match; each rule then filters that, not disk.
    scanned, _ = prepare_activities(as_lazy(activities), filter_columns(model))
    relevant = scanned.filter(pl.col("activity_type").is_in(types), pl.col("t") <= end_us)
    acts = relevant.collect().lazy()
    act_schema = acts.collect_schema()
    urls = url_matches(model, acts, act_schema)
    ids = people.select("contact_id")
    fit_frames = [fit_parts(r, people, people_schema) for r in model.fit_rules]
    fit_sum = (
        pl.concat(fit_frames).group_by("contact_id").agg(pl.col("cents").sum().alias("fit_cents"))
        if fit_frames
        else pl.LazyFrame(schema={"contact_id": people_schema["contact_id"], "fit_cents": pl.Int64})
    )
    fit_lazy = ids.join(fit_sum, on="contact_id", how="left").with_columns(
        pl.col("fit_cents").fill_null(0).cast(pl.Int64)
    )
    rules = model.behaviour_rules
    early = [matched_activities(r, acts, act_schema, urls) for r in rules]
    fit, *found = pl.collect_all([fit_lazy, *early])
    matched = {r.id: frame for r, frame in zip(rules, found, strict=True)}
    if floor is not None:
        fit = _candidates(model, fit, matched, floor)
        keep = fit.select("contact_id")
        matched = {k: v.join(keep, on="contact_id", how="semi") for k, v in matched.items()}
    return _grid_scores(rules, fit, matched, dates)


_GRID_ROWS = 40_000_000  # matched rows x dates per pass: bounds memory on big histories


def _grid_scores(
    rules: Sequence[BehaviourRule],
    fit: pl.DataFrame,
    matched: dict[str, pl.DataFrame],
    dates: Sequence[datetime],
) -> pl.DataFrame:
    """Behaviour parts for every (contact, date) in as few passes as memory allows: each
    rule's matches are crossed with a chunk of dates and scored in one Polars plan."""
    rows = max(1, sum(frame.height for frame in matched.values()))
    per_pass = max(1, _GRID_ROWS // rows)
    when = pl.DataFrame(
        {"k": range(len(dates)), "d": [epoch_us(d) for d in dates]},
        schema={"k": pl.Int32, "d": pl.Int64},
    )
    out = []
    for first in range(0, len(dates), per_pass):
        chunk = when.slice(first, per_pass).lazy()
        parts = [
            rule_parts(
                r,
                matched[r.id].lazy().join(chunk, how="cross").filter(pl.col("t") <= pl.col("d")),
                pl.col("d"),
                by=["k"],
            )
            for r in rules
        ]
        engagement = (
            pl.concat(parts).group_by("contact_id", "k").agg(pl.col("cents").sum().alias("eng"))
            if parts
            else pl.LazyFrame(schema={"contact_id": pl.Int64, "k": pl.Int32, "eng": pl.Int64})
        )
        every = fit.lazy().join(chunk.select("k"), how="cross")
        out.append(
            every.join(engagement, on=["contact_id", "k"], how="left")
            .select(
                "contact_id",
                "fit_cents",
                pl.col("eng").fill_null(0).cast(pl.Int64).alias("engagement_cents"),
                "k",
            )
            .with_columns((pl.col("fit_cents") + pl.col("engagement_cents")).alias("total_cents"))
            .collect()
        )
    return pl.concat(out)
