"""The scoring model as one DuckDB SQL query: the baseline `tandem.scoring.rescore` is measured
against in `scoring_bench.py`. Bench-only: Tandem itself never turns rules into SQL text.

Same arithmetic as the engine: per occurrence `points x 0.5 ** (age_days / half_life)` rounded
half away from zero to units of 0.0001, summed per UTC day and clamped to `daily_cap`, summed
and clamped to `cap`, rounded to cents. Property filters are not needed by the benchmark model
and not supported here.
"""

# ruff: noqa: S608  (the whole point of this bench-only module is SQL text built from a model)
from __future__ import annotations

from datetime import datetime

from tandem.scoring.engine import UNITS_PER_CENT, US_PER_DAY, epoch_us, to_cents
from tandem.scoring.model import (
    BehaviourRule,
    EqualsRule,
    ExistsRule,
    FitRule,
    InRule,
    RangeRule,
    RegexRule,
    ScoringModel,
)


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _col(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _equals(column: str, value: object) -> str:
    if isinstance(value, bool):
        return f"({column} = {'true' if value else 'false'})"
    if isinstance(value, str):
        return f"(lower(CAST({column} AS VARCHAR)) = {_q(value.lower())})"
    return f"({column} = {value})"


def fit_sql(rule: FitRule) -> str:
    """A boolean SQL condition for one fit rule (NULL counts as false)."""
    c = _col(rule.field)
    match rule:
        case EqualsRule():
            cond = _equals(c, rule.value)
        case InRule():
            cond = "(" + " OR ".join(_equals(c, v) for v in rule.values) + ")"
        case RangeRule():
            parts = [f"{c} >= {rule.min}" if rule.min is not None else "true"]
            parts.append(f"{c} < {rule.max}" if rule.max is not None else "true")
            cond = "(" + " AND ".join(parts) + ")"
        case RegexRule():
            cond = f"regexp_matches({c}, {_q('(?i)' + rule.pattern)})"
        case ExistsRule():
            present = f"({c} IS NOT NULL AND CAST({c} AS VARCHAR) <> '')"
            cond = present if rule.present else f"(NOT {present})"
    return f"coalesce({cond}, false)"


def _clamp(expr: str, limit: float | None) -> str:
    if limit is None:
        return expr
    bound = to_cents(limit) * UNITS_PER_CENT
    return f"greatest(-{bound}, least({bound}, {expr}))"


def behaviour_sql(rule: BehaviourRule, now: int) -> str:
    """A SELECT of contact_id, cents for one behaviour rule."""
    units = to_cents(rule.points) * UNITS_PER_CENT
    where = [f"activity_type = {_q(rule.activity_type)}", f"t <= {now}"]
    f = rule.filters
    for name, allowed in (
        ("asset_stage", f.asset_stage),
        ("campaign", f.campaign),
        ("channel", f.channel),
    ):
        if allowed is not None:
            where.append(f"{name} IN ({', '.join(_q(str(v)) for v in allowed)})")
    if f.url_pattern is not None:
        where.append(f"regexp_matches(url, {_q('(?i)' + f.url_pattern)})")
    if f.properties:
        raise NotImplementedError("property filters are not in the benchmark SQL")
    value = f"CAST({units} AS BIGINT)"
    if rule.decay is not None and rule.decay.window_days is not None:
        where.append(f"{now} - t < {rule.decay.window_days * US_PER_DAY}")
    if rule.decay is not None and rule.decay.half_life_days is not None:
        days = f"(CAST({now} - t AS DOUBLE) / {US_PER_DAY})"
        x = f"({float(units)} * pow(0.5, {days} / {rule.decay.half_life_days}))"
        value = f"CAST(sign({x}) * floor(abs({x}) + 0.5) AS BIGINT)"
    day_sum = _clamp("sum(u)", rule.daily_cap)
    raw = _clamp("sum(d)", rule.cap)
    cents = f"CAST(sign({raw}) * ((abs({raw}) + 50) // 100) AS BIGINT)"
    return f"""
    SELECT contact_id, {cents} AS cents FROM (
      SELECT contact_id, {day_sum} AS d FROM (
        SELECT contact_id, t // {US_PER_DAY} AS day, {value} AS u
        FROM acts WHERE {" AND ".join(where)}
      ) WHERE u <> 0 GROUP BY contact_id, day
    ) GROUP BY contact_id"""


def score_sql(model: ScoringModel, contacts: str, activities: str, as_of: datetime) -> str:
    """One query: contact_id, fit_cents, engagement_cents, total_cents, is_mql per contact."""
    now = epoch_us(as_of)
    fit = (
        " + ".join(
            f"CASE WHEN {fit_sql(r)} THEN {to_cents(r.points)} ELSE 0 END" for r in model.fit_rules
        )
        or "0"
    )
    behaviour = " UNION ALL ".join(behaviour_sql(r, now) for r in model.behaviour_rules)
    mql = model.mql
    checks = [
        f"{column} >= {to_cents(value)}"
        for column, value in (
            ("fit_cents", mql.fit),
            ("engagement_cents", mql.engagement),
            ("fit_cents + engagement_cents", mql.total),
        )
        if value is not None
    ]
    return f"""
    WITH acts AS (
      SELECT contact_id, activity_type, epoch_us(occurred_at) AS t, channel, campaign,
             asset_stage, url
      FROM read_parquet({_q(activities)})
    ),
    fit AS (
      SELECT contact_id, CAST({fit} AS BIGINT) AS fit_cents FROM read_parquet({_q(contacts)})
    ),
    eng AS (
      SELECT contact_id, sum(cents) AS engagement_cents FROM ({behaviour}) GROUP BY contact_id
    )
    SELECT contact_id, fit_cents, engagement_cents,
           fit_cents + engagement_cents AS total_cents, {" AND ".join(checks) or "true"} AS is_mql
    FROM (
      SELECT fit.contact_id, fit_cents,
             CAST(coalesce(engagement_cents, 0) AS BIGINT) AS engagement_cents
      FROM fit LEFT JOIN eng USING (contact_id)
    )
    """
