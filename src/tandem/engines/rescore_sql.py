"""The full lead rescore as SQL generated from the scoring model, for any engine. Pure.

The same arithmetic as `tandem.scoring.engine` and the Polars `tandem.scoring.rescore`,
operation for operation (tests/metrics/test_engines_rescore.py holds all three equal): per
occurrence ``points x 0.5 ** (age_days / half_life)`` rounded half away from zero to units of
0.0001 point, summed per UTC day and clamped to `daily_cap`, summed and clamped to `cap`,
rounded to cents. Only the spelling differs between engines, and it comes from the `Dialect`.

Relations read: `people` (``contact_id`` and one column per fit field, named like
``contact.job_level``) and `acts` (``contact_id, activity_type, t`` in epoch microseconds and
the optional ``channel, campaign, asset_stage, url, properties``). Which columns exist and their
types come from the Polars schemas, so a rule on a missing or mistyped field never matches,
exactly as in Polars.
"""

# ruff: noqa: S608  (SQL text built from a validated model: values are quoted by the Dialect)
import polars as pl

from tandem.metrics.sql import Dialect, Statement
from tandem.scoring.engine import UNITS_PER_CENT, US_PER_DAY, to_cents
from tandem.scoring.match import property_text
from tandem.scoring.model import (
    BehaviourRule,
    EqualsRule,
    ExistsRule,
    FitRule,
    InRule,
    RangeRule,
    RegexRule,
    Scalar,
    ScoringModel,
)

FALSE = "FALSE"


def _is_text(dtype: pl.DataType | None) -> bool:
    return dtype is not None and (dtype == pl.String or isinstance(dtype, pl.Categorical))


def _double(value: float) -> str:
    # Spark SQL reads 0.5 as a decimal: every fractional number is said to be a double.
    return f"CAST({float(value)!r} AS DOUBLE)"


def _equals(column: str, dtype: pl.DataType | None, value: Scalar, d: Dialect) -> str:
    if dtype is None:
        return FALSE
    if isinstance(value, bool):
        return f"({column} = {'TRUE' if value else 'FALSE'})" if dtype == pl.Boolean else FALSE
    if isinstance(value, str):
        return f"(lower({column}) = {d.string(value.lower())})" if _is_text(dtype) else FALSE
    return f"({column} = {_double(value)})" if dtype.is_numeric() else FALSE


def fit_condition(rule: FitRule, schema: pl.Schema, d: Dialect) -> str:
    """A boolean SQL condition: does the fit rule match a contact (NULL counts as false)."""
    column, dtype = d.column(rule.field), schema.get(rule.field)
    match rule:
        case EqualsRule():
            cond = _equals(column, dtype, rule.value, d)
        case InRule():
            cond = "(" + " OR ".join(_equals(column, dtype, v, d) for v in rule.values) + ")"
        case RangeRule():
            if dtype is None or not dtype.is_numeric():
                return FALSE
            parts = [f"NOT isnan({column})"] if dtype.is_float() else ["TRUE"]
            if rule.min is not None:
                parts.append(f"{column} >= {_double(rule.min)}")
            if rule.max is not None:
                parts.append(f"{column} < {_double(rule.max)}")
            cond = "(" + " AND ".join(parts) + ")"
        case RegexRule():
            pattern = d.string(f"(?i){rule.pattern}")
            cond = d.regex.format(text=column, pattern=pattern) if _is_text(dtype) else FALSE
        case ExistsRule():
            present = FALSE if dtype is None else f"({column} IS NOT NULL"
            if dtype is not None:
                present += f" AND {column} <> '')" if _is_text(dtype) else ")"
            present = f"COALESCE({present}, FALSE)"
            cond = present if rule.present else f"(NOT {present})"
    return f"COALESCE({cond}, FALSE)"


def activity_condition(rule: BehaviourRule, schema: pl.Schema, d: Dialect) -> str:
    """A boolean SQL condition: does an activity match the rule's type and filters."""
    cond = [f"activity_type = {d.string(rule.activity_type)}"]
    f = rule.filters
    for name, allowed in (
        ("asset_stage", f.asset_stage),
        ("campaign", f.campaign),
        ("channel", f.channel),
    ):
        if allowed is not None:
            values = ", ".join(d.string(str(v)) for v in allowed)
            cond.append(f"{name} IN ({values})" if _is_text(schema.get(name)) else FALSE)
    if f.url_pattern is not None:
        pattern = d.string(f"(?i){f.url_pattern}")
        found = d.regex.format(text="url", pattern=pattern)
        cond.append(found if _is_text(schema.get("url")) else FALSE)
    for key, expected in (f.properties or {}).items():
        if not _is_text(schema.get("properties")):
            return FALSE
        actual = d.json_text.format(json="properties", path=d.string(f"$.{key}"))
        cond.append(f"lower({actual}) = {d.string(property_text(expected))}")
    return "COALESCE(" + " AND ".join(cond) + ", FALSE)"


def _clamp(expr: str, limit: float | None) -> str:
    if limit is None:
        return expr
    bound = to_cents(limit) * UNITS_PER_CENT
    return f"greatest(-{bound}, least({bound}, {expr}))"


def _round_half_away(x: str) -> str:
    return f"CAST(sign({x}) * floor(abs({x}) + 0.5) AS BIGINT)"


def units_to_cents(units: str, d: Dialect) -> str:
    """Units rounded half away from zero to cents, in SQL."""
    size = d.int_div.format(a=f"(abs({units}) + {UNITS_PER_CENT // 2})", b=UNITS_PER_CENT)
    return f"CASE WHEN {units} >= 0 THEN {size} ELSE -{size} END"


def behaviour_sql(
    rule: BehaviourRule,
    schema: pl.Schema,
    now: int | str,
    d: Dialect,
    *,
    source: str = "acts",
    key: str = "",
) -> str:
    """contact_id, rule_id, kind, cents, occurrences, capped for one behaviour rule, as of
    `now` (a moment in epoch microseconds, or a column of `source` holding one per row; then
    `key` is the column, e.g. ``k``, the results are per contact and that column)."""
    by = f"contact_id, {key}" if key else "contact_id"
    units = to_cents(rule.points) * UNITS_PER_CENT
    age = f"({now} - t)"
    keep = [activity_condition(rule, schema, d), f"{age} >= 0"]
    value = f"CAST({units} AS BIGINT)"
    decay = rule.decay
    if decay is not None and decay.window_days is not None:
        keep.append(f"{age} < {decay.window_days * US_PER_DAY}")
    if decay is not None and decay.half_life_days is not None:
        days = f"(CAST({age} AS DOUBLE) / {US_PER_DAY})"
        exponent = f"({days} / {_double(decay.half_life_days)})"
        value = _round_half_away(f"({_double(units)} * pow({_double(0.5)}, {exponent}))")
    valued = f"SELECT {by}, t, {value} AS u FROM {source} WHERE {' AND '.join(keep)}"
    day = d.int_div.format(a="t", b=US_PER_DAY)
    daily = (
        f"SELECT {by}, SUM(u) AS u, COUNT(*) AS n FROM ({valued}) v WHERE u <> 0"
        f" GROUP BY {by}, {day}"
    )
    per_contact = (
        f"SELECT {by}, SUM(d) AS raw, SUM(n) AS occurrences,"
        f" MAX(CASE WHEN d <> u THEN 1 ELSE 0 END) AS day_capped"
        f" FROM (SELECT {by}, u, n, {_clamp('u', rule.daily_cap)} AS d FROM ({daily}) a) b"
        f" GROUP BY {by}"
    )
    final = _clamp("raw", rule.cap)
    return (
        f"SELECT {by}, {d.string(rule.id)} AS rule_id, 'behaviour' AS kind,"
        f" CAST({units_to_cents(final, d)} AS BIGINT) AS cents,"
        f" CAST(occurrences AS BIGINT) AS occurrences,"
        f" (day_capped = 1 OR {final} <> raw) AS capped FROM ({per_contact}) c"
    )


def fit_sql(rule: FitRule, schema: pl.Schema, d: Dialect) -> str:
    """contact_id, rule_id, kind, cents, occurrences, capped for one fit rule."""
    return (
        f"SELECT contact_id, {d.string(rule.id)} AS rule_id, 'fit' AS kind,"
        f" CAST({to_cents(rule.points)} AS BIGINT) AS cents, CAST(1 AS BIGINT) AS occurrences,"
        f" FALSE AS capped FROM people WHERE {fit_condition(rule, schema, d)}"
    )


def parts_sql(
    model: ScoringModel, people: pl.Schema, acts: pl.Schema, as_of_us: int, d: Dialect
) -> str:
    """Every part of every contact: one row per contact and rule that counted, with the rule's
    place in the model (``o``) to order by."""
    selects = [fit_sql(r, people, d) for r in model.fit_rules]
    selects += [behaviour_sql(r, acts, as_of_us, d) for r in model.behaviour_rules]
    if not selects:
        return (
            "SELECT contact_id, CAST(NULL AS STRING) AS rule_id, CAST(NULL AS STRING) AS kind,"
            " CAST(0 AS BIGINT) AS cents, CAST(0 AS BIGINT) AS occurrences, FALSE AS capped,"
            " 0 AS o FROM people WHERE FALSE"
        )
    order = " ".join(f"WHEN {d.string(r)} THEN {i}" for i, r in enumerate(model.rule_ids()))
    union = " UNION ALL ".join(f"({s})" for s in selects)
    return (
        f"SELECT p.*, CASE p.rule_id {order} END AS o FROM ({union}) p"
        f" WHERE p.contact_id IN (SELECT contact_id FROM people)"
    )


def rescore_statements(
    model: ScoringModel, people: pl.Schema, acts: pl.Schema, as_of_us: int, d: Dialect
) -> tuple[Statement, Statement]:
    """(scores, parts): contact_id, fit_cents, engagement_cents, total_cents, grade, is_mql per
    contact; the parts in contact and model order."""
    parts = parts_sql(model, people, acts, as_of_us, d)
    g = model.grades
    grade = (
        f"CASE WHEN fit_cents >= {to_cents(g.A)} THEN 'A' WHEN fit_cents >= {to_cents(g.B)}"
        f" THEN 'B' WHEN fit_cents >= {to_cents(g.C)} THEN 'C' ELSE 'D' END"
    )
    checks = [
        f"{column} >= {to_cents(value)}"
        for column, value in (
            ("total_cents", model.mql.total),
            ("fit_cents", model.mql.fit),
            ("engagement_cents", model.mql.engagement),
        )
        if value is not None
    ]
    sums = (
        "SELECT contact_id,"
        " SUM(CASE WHEN kind = 'fit' THEN cents ELSE 0 END) AS fit_cents,"
        " SUM(CASE WHEN kind = 'behaviour' THEN cents ELSE 0 END) AS engagement_cents"
        f" FROM ({parts}) q GROUP BY contact_id"
    )
    cents = (
        "SELECT people.contact_id, CAST(COALESCE(fit_cents, 0) AS BIGINT) AS fit_cents,"
        " CAST(COALESCE(engagement_cents, 0) AS BIGINT) AS engagement_cents"
        f" FROM people LEFT JOIN ({sums}) s ON people.contact_id = s.contact_id"
    )
    scores = (
        "SELECT contact_id, fit_cents, engagement_cents,"
        f" fit_cents + engagement_cents AS total_cents, {grade} AS grade,"
        f" ({' AND '.join(checks)}) AS is_mql FROM ({cents}) c ORDER BY contact_id"
    )
    ordered = (
        "SELECT contact_id, rule_id, kind, cents, occurrences, capped"
        f" FROM ({parts}) r ORDER BY contact_id, o"
    )
    return Statement(scores, ()), Statement(ordered, ())
