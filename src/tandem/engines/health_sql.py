"""Customer health as SQL generated from the health model, for any engine, returned in the
shape of `tandem.usage.compute.score`'s `Health`. Pure.

The same computation as the Polars `compute.inputs` and `compute.score`, step for step
(tests/metrics/test_engines_health.py holds them equal): window sums and reporting periods
over the usage, the entitlements in force, each component's value, its share of the weight
and the band. A threshold's points are constants of the model, so they are worked out here
once, in hundredths, with Polars' own rounding; an account's score is their sum, and so the
same number on every engine whatever order it adds in.

Relations read, days as integers (days since 1970-01-01) so no engine's date functions are
needed: `usage` (``account_id, day`` and one DOUBLE per metric), `limits` (``account_id,
metric, allowance, plan, renewal_on, valid_from, valid_to``) and `accounts`
(``account_id, segment, engagement``).
"""

# ruff: noqa: S608  (SQL text built from a validated model: values are quoted by the Dialect)
from datetime import date

import polars as pl

from tandem.engines.rescore_sql import _double
from tandem.engines.run import KEPT, EngineFactory, on_spark, spark_chosen
from tandem.metrics.sql import Dialect, Statement
from tandem.usage.compute import ACTIVE, ROUND, Health, score
from tandem.usage.health_model import Component, HealthModel

RELATIONS = ("usage", "limits", "accounts")
#: The per-account inputs, computed by the engine and read back by it to score.
VALUES = "health_values"
_EPOCH = date(1970, 1, 1)
NULL = "CAST(NULL AS DOUBLE)"


def days(day: date) -> int:
    """`day` as days since 1970-01-01."""
    return (day - _EPOCH).days


def _windows(metrics: list[str], as_of: int, model: HealthModel, last_days: int, d: Dialect):
    """Per account: window sums, reported rows and last values; and the one row of reporting
    periods per metric and window."""
    c = d.column
    recent, earlier = as_of - model.recent_days, as_of - model.trend_days
    in_recent = f"day > {recent} AND day <= {as_of}"
    in_earlier = f"day > {earlier} AND day <= {recent}"
    in_last = f"day > {as_of - last_days} AND day <= {as_of}"
    aggs = []
    for tag, cond in (("recent", in_recent), ("earlier", in_earlier)):
        for m in metrics:
            aggs.append(
                f"SUM(CASE WHEN {cond} THEN COALESCE({c(m)}, 0.0) END) AS {c(tag + ':' + m)}"
            )
        for m in metrics:
            aggs.append(f"COUNT(CASE WHEN {cond} THEN {c(m)} END) AS {c(tag + '_rows:' + m)}")
    aggs += [f"MAX(CASE WHEN {in_last} THEN {c(m)} END) AS {c('last:' + m)}" for m in metrics]
    aggs.append(f"MAX(CASE WHEN {in_recent} THEN 1 ELSE 0 END) AS in_recent")
    aggs.append(f"MAX(CASE WHEN {in_earlier} THEN 1 ELSE 0 END) AS in_earlier")
    sums = f"SELECT account_id, {', '.join(aggs)} FROM usage GROUP BY account_id"
    periods = ["CAST(1 AS INT) AS one"] + [
        f"COUNT(DISTINCT CASE WHEN {cond} AND {c(m)} IS NOT NULL THEN day END) AS {c(n + m)}"
        for n, cond in (("rn:", in_recent), ("en:", in_earlier))
        for m in metrics
    ]
    return sums, f"SELECT {', '.join(periods)} FROM usage"


def _limits(as_of: int) -> str:
    """account_id, seats, renewal_on, plan: the entitlements in force on `as_of` (the latest
    per account and metric)."""
    now = (
        "SELECT * FROM (SELECT account_id, metric, allowance, plan, renewal_on, valid_from,"
        " ROW_NUMBER() OVER (PARTITION BY account_id, metric ORDER BY valid_from DESC) AS k"
        f" FROM limits WHERE valid_from <= {as_of} AND (valid_to IS NULL OR valid_to > {as_of}))"
        " l WHERE k = 1"
    )
    plan = (
        "SELECT account_id, plan FROM (SELECT account_id, plan, ROW_NUMBER() OVER"
        f" (PARTITION BY account_id ORDER BY valid_from DESC) AS k FROM ({now}) n) p WHERE k = 1"
    )
    return (
        f"SELECT a.account_id, s.allowance AS seats, r.renewal_on, p.plan"
        f" FROM (SELECT DISTINCT account_id FROM ({now}) n) a"
        f" LEFT JOIN (SELECT account_id, allowance FROM ({now}) n WHERE metric = '{ACTIVE}') s"
        " ON a.account_id = s.account_id"
        f" LEFT JOIN (SELECT account_id, MIN(renewal_on) AS renewal_on FROM ({now}) n"
        f" WHERE renewal_on >= {as_of} GROUP BY account_id) r ON a.account_id = r.account_id"
        f" LEFT JOIN ({plan}) p ON a.account_id = p.account_id"
    )


def values_statement(
    model: HealthModel,
    present: set[str],
    engagement: bool,
    as_of: date,
    d: Dialect,
    limit_days: int | None = None,
) -> tuple[str, list[str]]:
    """The SQL of `compute.inputs` (plus `engagement` and `scorecard`, as `compute.score`
    adds them), and its columns in the Polars order."""
    c = d.column
    metrics = sorted((model.usage_metrics() | {ACTIVE}) & present)
    now = days(as_of)
    last_days = limit_days or (31 if model.period == "month" else 7)
    sums, periods = _windows(metrics, now, model, last_days, d)
    limits = _limits(now)
    columns = ["account_id", "segment", "engagement"]
    select = ["a.account_id", "a.segment", "a.engagement"]
    for tag, flag in (("recent", "in_recent"), ("earlier", "in_earlier")):
        for group in (f"{tag}:", f"{tag}_rows:"):
            for m in metrics:
                columns.append(group + m)
                select.append(f"CASE WHEN u.{flag} = 1 THEN u.{c(group + m)} END AS {c(group + m)}")
    for m in metrics:
        columns.append("last:" + m)
        select.append(f"u.{c('last:' + m)}")
    for m in metrics:
        for name, total, n in (("mean:", "recent:", "rn:"), ("before:", "earlier:", "en:")):
            mean = f"round(COALESCE(u.{c(total + m)}, 0.0) / n.{c(n + m)}, {ROUND})"
            columns.append(name + m)
            select.append(f"CASE WHEN n.{c(n + m)} > 0 THEN {mean} END AS {c(name + m)}")
    columns += ["seats", "renewal_on", "plan", "renewal_days"]
    select += [
        "l.seats",
        "l.renewal_on",
        "l.plan",
        f"CAST(l.renewal_on - {now} AS DOUBLE) AS renewal_days",
    ]
    for m in sorted(model.usage_metrics() - set(metrics)):
        for p in ("mean", "before", "last", "recent_rows"):
            columns.append(f"{p}:{m}")
            select.append(f"{NULL} AS {c(p + ':' + m)}")
    card_of = {s: name for name, card in model.scorecards.items() for s in card.segments}
    cards = " ".join(f"WHEN {d.string(s)} THEN {d.string(n)}" for s, n in card_of.items())
    fallback = d.string(model.scorecard_for(None))
    columns.append("scorecard")
    select.append(f"CASE a.segment {cards} ELSE {fallback} END AS scorecard" if cards
                  else f"{fallback} AS scorecard")  # fmt: skip
    people = (
        "SELECT account_id, segment,"
        f" {'CAST(engagement AS DOUBLE)' if engagement else NULL} AS engagement FROM accounts"
    )
    text = (
        f"SELECT {', '.join(select)} FROM ({people}) a"
        f" LEFT JOIN ({sums}) u ON a.account_id = u.account_id"
        f" CROSS JOIN ({periods}) n"
        f" LEFT JOIN ({limits}) l ON a.account_id = l.account_id ORDER BY a.account_id"
    )
    return text, columns


def value_sql(component: Component, d: Dialect) -> str:
    """`compute.value_expr` in SQL, over the columns of `values_statement`."""
    c, m = d.column, component.source
    if component.kind == "adoption":
        return f"CASE WHEN seats > 0 THEN {c('mean:' + m)} / seats END"
    if component.kind == "breadth":
        used = [
            f"CASE WHEN COALESCE({c('mean:' + f)}, 0.0) > 0 THEN 1.0 ELSE 0.0 END"
            for f in component.features
        ]
        return f"CAST(({' + '.join(used)}) AS DOUBLE) / {len(used)}"
    if component.kind == "trend":
        before = c("before:" + m)
        return f"CASE WHEN {before} > 0 THEN COALESCE({c('mean:' + m)}, 0.0) / {before} - 1 END"
    if component.kind == "engagement":
        return "engagement"
    if component.kind == "renewal":
        return "renewal_days"
    return f"CASE WHEN COALESCE({c('recent_rows:' + m)}, 0) > 0 THEN {c('mean:' + m)} END"


def _hundredths(share: float, weight: float) -> int:
    # Polars' own rounding of `compute.score` (half to even, at two decimals), in hundredths.
    points = pl.Series([share * weight]).round(2)[0]
    return round(points * 100)


def points_sql(component: Component, value: str) -> str:
    """The component's points in hundredths: first threshold met, `missing` for no value."""
    w = component.weight
    cases = [f"WHEN v IS NULL THEN {_hundredths(component.missing, w)}"]
    for t in component.thresholds:
        met = f"v >= {_double(t.min)}" if t.min is not None else f"v <= {_double(t.max or 0)}"
        cases.append(f"WHEN {met} THEN {_hundredths(t.points, w)}")
    return f"CAST(CASE {' '.join(cases)} ELSE 0 END AS BIGINT)"


def score_statements(model: HealthModel, d: Dialect) -> tuple[Statement, Statement]:
    """(parts, scores) over the relation `values` (`values_statement`'s rows): every
    component's value and points, each account's score and band."""
    selects = []
    for name, card in model.scorecards.items():
        for comp in card.components:
            selects.append(
                f"SELECT account_id, {d.string(comp.name)} AS component,"
                f" {d.string(comp.kind)} AS kind, v AS value,"
                f" {_double(comp.weight)} AS weight, {points_sql(comp, 'v')} AS cents"
                f" FROM (SELECT account_id, CAST({value_sql(comp, d)} AS DOUBLE) AS v"
                f" FROM {VALUES} WHERE scorecard = {d.string(name)}) y"
            )
    parts = " UNION ALL ".join(f"({s})" for s in selects)
    b = model.bands
    score = "CAST(SUM(p.cents) AS DOUBLE) / 100"
    scores = (
        f"SELECT x.account_id, x.segment, x.scorecard, {score} AS score,"
        f" CASE WHEN {score} >= {_double(b.healthy)} THEN 'healthy'"
        f" WHEN {score} < {_double(b.at_risk)} THEN 'at_risk' ELSE 'neutral' END AS band"
        f" FROM {VALUES} x JOIN ({parts}) p ON x.account_id = p.account_id"
        " GROUP BY x.account_id, x.segment, x.scorecard ORDER BY x.account_id"
    )
    ordered = f"SELECT * FROM ({parts}) q ORDER BY account_id, component"
    return Statement(ordered, ()), Statement(scores, ())


def _as_days(frame: pl.DataFrame, *columns: str) -> pl.DataFrame:
    return frame.with_columns(pl.col(c).cast(pl.Date).cast(pl.Int32) for c in columns)


def health(
    build: EngineFactory,
    *,
    usage: pl.LazyFrame | pl.DataFrame,
    limits: pl.DataFrame,
    accounts: pl.DataFrame,
    model: HealthModel,
    as_of: date,
) -> Health:
    """`compute.score`'s `Health`, computed by the engine `build` makes."""
    usage = _as_days(usage.lazy().collect(), "day")
    metrics = [m for m in usage.columns if m not in ("account_id", "day")]
    usage = usage.with_columns(pl.col(m).cast(pl.Float64) for m in metrics)
    kept = limits.select(
        pl.col("account_id").cast(pl.Int64), pl.col("metric").cast(pl.String),
        pl.col("allowance").cast(pl.Float64), pl.col("plan").cast(pl.String),
        "renewal_on", "valid_from", "valid_to",
    )  # fmt: skip
    kept = _as_days(kept, "renewal_on", "valid_from", "valid_to")
    engagement = "engagement" in accounts.columns
    people = accounts.select(
        pl.col("account_id").cast(pl.Int64),
        pl.col("segment").cast(pl.String),
        *([pl.col("engagement").cast(pl.Float64)] if engagement else []),
    )
    engine = build({"usage": lambda: usage, "limits": lambda: kept, "accounts": lambda: people})
    values_sql, columns = values_statement(model, set(metrics), engagement, as_of, engine.dialect)
    found = pl.from_arrow(engine.arrow(RELATIONS, Statement(values_sql, ())))
    assert isinstance(found, pl.DataFrame)
    # The scan is done: the score reads one row per account, back in the same engine.
    scorer = build({VALUES: lambda: found})
    parts_sql, scores_sql = score_statements(model, scorer.dialect)
    parts = pl.from_arrow(scorer.arrow([VALUES], parts_sql))
    scores = pl.from_arrow(scorer.arrow([VALUES], scores_sql))
    assert isinstance(parts, pl.DataFrame) and isinstance(scores, pl.DataFrame)
    segment = accounts.schema["segment"]
    read = set(metrics)
    values = found.select(pl.col(n).cast(_dtype(n, segment, limits, read)) for n in columns)
    if not engagement:  # `compute.score` adds it after the inputs
        values = values.select(pl.exclude("engagement", "scorecard"), "engagement", "scorecard")
    return Health(
        scores=scores.select(
            pl.col("account_id").cast(accounts.schema["account_id"]),
            pl.col("segment").cast(segment),
            pl.col("scorecard").cast(pl.String),
            pl.col("score").cast(pl.Float64),
            pl.col("band").cast(pl.String),
        ),
        parts=parts.select(
            pl.col("account_id").cast(accounts.schema["account_id"]),
            pl.col("component").cast(pl.String),
            pl.col("kind").cast(pl.String),
            pl.col("value").cast(pl.Float64),
            pl.col("weight").cast(pl.Float64),
            (pl.col("cents").cast(pl.Float64) / 100).alias("points"),
        ),
        values=values,
    )


def _dtype(name: str, segment: pl.DataType, limits: pl.DataFrame, read: set[str]) -> pl.DataType:
    """The Polars type `compute.inputs` gives the column `name` (`read`: the usage metrics
    present; a metric absent is all null, as a float)."""
    if name == "account_id":
        return pl.Int64
    if name == "segment":
        return segment
    if name == "plan" or name == "scorecard":
        return pl.String
    if name == "renewal_on":
        return pl.Date
    if name == "seats":
        return limits.schema["allowance"]
    if name.startswith(("recent_rows:", "earlier_rows:")) and name.split(":", 1)[1] in read:
        return pl.UInt32
    return pl.Float64


def chosen_score(
    *,
    usage: pl.LazyFrame | pl.DataFrame,
    limits: pl.DataFrame,
    accounts: pl.DataFrame,
    model: HealthModel,
    as_of: date,
) -> Health:
    """`compute.score` on the engine chosen at start: Polars in this process by default, this
    module's SQL on Spark with ``TANDEM_ANALYTICS_ENGINE=spark`` (a failure there raised as
    `EngineFailed`, before anything is stored)."""
    if not spark_chosen():
        return score(usage=usage, limits=limits, accounts=accounts, model=model, as_of=as_of)
    return on_spark(
        "customer health",
        KEPT.format("health scores"),
        lambda build: health(
            build, usage=usage, limits=limits, accounts=accounts, model=model, as_of=as_of
        ),
    )
