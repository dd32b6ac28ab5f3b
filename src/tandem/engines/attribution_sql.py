"""Attribution over paths as SQL generated from the configuration, for any engine. Pure.

The same rule and arithmetic as the in-process engine (`tandem.attribution.path_table`'s
`select_touchpoints_frame`, `positions`, `time_decay`, `channel_shares` and the cent allocator
of `money`), operation for operation, so the credits come out equal to the cent
(tests/metrics/test_engines_attribution.py): each deal's touches in its lookback window are
numbered with a window function, milestones marked, every model's weight per touch computed,
and the amount split by largest remainder (weights in whole units, floor every share, the
cents left over to the largest fractions quantised to 2^-32, ties to the earlier touch).

Markov and Shapley learn from the distinct channel paths with their conversion and null counts
(`paths_statement`): a few thousand rows, fitted in process as ChannelAttribution does; their
channel shares come back as the relation `shares` for the credits.

Relations read: `deals` (``opportunity_id, amount_cents, converted, as_of_us, created_us,
closed_us, mql_us``, times in epoch microseconds) and `cands` (``opportunity_id, activity_id,
t`` in epoch microseconds, ``channel, campaign_id, asset_id, team, source`` and any other
columns, which the touches keep); `shares` (``channel`` and a DOUBLE per data-driven model).
"""

# ruff: noqa: S608  (SQL text built from a validated configuration: numbers written here)
import re
from collections.abc import Mapping, Sequence

from tandem.attribution.config import AttributionConfig
from tandem.attribution.touchpoints import MILESTONES
from tandem.metrics.sql import Dialect, Statement

US_PER_DAY = 86_400_000_000
DATA_DRIVEN = ("markov", "shapley")
#: Touch columns of a credit row besides the ids (`tandem.attribution.batch.DIMENSIONS`).
DIMENSIONS = ("channel", "campaign_id", "asset_id", "team", "source")
_JOURNEY = "PARTITION BY opportunity_id"
# Milestone flag column per anchor name.
_FLAGS = {"first_touch": "m_first", "lead_creation": "m_lead",
          "opportunity_creation": "m_opp", "close": "m_close"}  # fmt: skip


def number(value: float) -> str:
    """A DOUBLE literal on every engine: with an exponent (Spark reads ``0.5`` as a decimal)."""
    text = repr(float(value))
    return text if "e" in text else text + "e0"


def touches_sql(config: AttributionConfig, extra: Sequence[str] = ()) -> str:
    """SELECT of every deal's touches in its window: `cands` columns, ``pos`` (0-based in
    (t, activity_id) order), ``n`` touches, the four milestone flags and ``milestones``."""
    window = config.window
    lookback = window.lookback_days * US_PER_DAY
    close = "(d.closed_us IS NOT NULL)" if window.until_close else "FALSE"
    kept = ", ".join(f"c.{name}" for name in ("activity_id", "t", *DIMENSIONS, *extra))
    windowed = f"""SELECT c.opportunity_id, {kept}, d.created_us, d.mql_us, d.closed_us,
        {close} AS close_counts,
        row_number() OVER (PARTITION BY c.opportunity_id ORDER BY c.t, c.activity_id) - 1 AS pos
      FROM cands c JOIN deals d ON c.opportunity_id = d.opportunity_id
      WHERE c.t >= d.created_us - {lookback}
        AND c.t <= CASE WHEN {close} THEN d.closed_us ELSE d.created_us END"""
    marked = f"""SELECT w.*, count(*) OVER ({_JOURNEY}) AS n,
        max(CASE WHEN t <= mql_us THEN pos END) OVER ({_JOURNEY}) AS lead_pos,
        max(CASE WHEN t <= created_us THEN pos END) OVER ({_JOURNEY}) AS opp_pos,
        max(CASE WHEN close_counts AND t <= closed_us THEN pos END) OVER ({_JOURNEY}) AS close_pos
      FROM ({windowed}) w"""
    flags = {
        "m_first": "pos = 0",
        "m_lead": "COALESCE(pos = lead_pos, FALSE)",
        "m_opp": "COALESCE(pos = opp_pos, FALSE)",
        "m_close": "COALESCE(pos = close_pos, FALSE)",
    }
    mask = " + ".join(
        f"CASE WHEN {flags[_FLAGS[m]]} THEN {1 << k} ELSE 0 END" for k, m in enumerate(MILESTONES)
    )
    columns = ", ".join(f"{expr} AS {name}" for name, expr in flags.items())
    return f"SELECT m.*, {columns}, {mask} AS milestones FROM ({marked}) m"


def touches_statement(config: AttributionConfig, extra: Sequence[str] = ()) -> Statement:
    """Every deal's touchpoints, as `select_touchpoints_frame` gives them (plus ``pos``)."""
    columns = ", ".join(("opportunity_id", "activity_id", "t", *DIMENSIONS, *extra))
    return Statement(
        f"SELECT {columns}, pos, milestones FROM ({touches_sql(config, extra)}) tp "
        "ORDER BY opportunity_id, pos",
        (),
    )


def given_touches_sql(dimensions: Sequence[str]) -> str:
    """SELECT of touches chosen elsewhere (relation `touched`: ``opportunity_id,
    activity_id, t, channel, milestones`` and `dimensions`) in the shape of `touches_sql`."""
    flags = ", ".join(
        f"(milestones % {2 << k}) >= {1 << k} AS {_FLAGS[m]}" for k, m in enumerate(MILESTONES)
    )
    kept = ", ".join(dict.fromkeys(("channel", *dimensions)))
    numbered = f"""SELECT opportunity_id, activity_id, t, {kept}, milestones,
        row_number() OVER ({_JOURNEY} ORDER BY t, activity_id) - 1 AS pos,
        count(*) OVER ({_JOURNEY}) AS n
      FROM touched"""
    return f"SELECT g.*, {flags} FROM ({numbered}) g"


def paths_statement(source: str, d: Dialect) -> Statement:
    """Distinct channel paths of the deals with touches in `source` (`touches_sql` or
    `given_touches_sql`): ``path`` (array, time order), ``conversions``, ``nulls`` and
    ``value_cents`` (converted deals' amounts)."""
    path = d.ordered_list.format(expr="channel", order="pos")
    per_deal = f"""SELECT tp.opportunity_id, {path} AS path
      FROM ({source}) tp GROUP BY tp.opportunity_id"""
    return Statement(
        f"""SELECT p.path,
          sum(CASE WHEN d.converted THEN 1 ELSE 0 END) AS conversions,
          sum(CASE WHEN d.converted THEN 0 ELSE 1 END) AS nulls,
          sum(CASE WHEN d.converted THEN d.amount_cents ELSE 0 END) AS value_cents
        FROM ({per_deal}) p JOIN deals d ON p.opportunity_id = d.opportunity_id
        GROUP BY p.path""",
        (),
    )


def _pick(anchor: str) -> str:
    if anchor in _FLAGS:
        return _FLAGS[anchor]
    if anchor == "first":
        return "(pos = 0)"
    if anchor == "last":
        return "(pos = n - 1)"
    match = re.fullmatch(r"position:(-?\d+)", anchor)
    if match is None:
        raise ValueError(f"unknown anchor {anchor!r}")
    k = int(match.group(1))
    return f"(pos = {k})" if k >= 0 else f"(pos = n - {-k})"


def position_weight(name: str, weights: Mapping[str, float]) -> tuple[list[str], str]:
    """(window columns to compute first, the weight expression) of a position model: the
    anchors of `positions.position_weights` in the same order, so the floats are the same."""
    buckets = [(a, w) for a, w in weights.items() if a != "rest" and w > 0]
    if weights.get("rest", 0) > 0:
        buckets.append(("rest", weights["rest"]))
    counts, numerator, present, taken = [], "0.0e0", "0.0e0", []
    for i, (anchor, weight) in enumerate(buckets):
        picked = "NOT (" + " OR ".join(taken) + ")" if anchor == "rest" and taken else "TRUE"
        picked = picked if anchor == "rest" else _pick(anchor)
        count = f"{name}_c{i}"
        counts.append(f"sum(CASE WHEN {picked} THEN 1 ELSE 0 END) OVER ({_JOURNEY}) AS {count}")
        share = f"{number(weight)} / CAST({count} AS DOUBLE)"
        numerator = f"({numerator} + CASE WHEN {picked} THEN {share} ELSE 0.0e0 END)"
        present = f"({present} + CASE WHEN {count} > 0 THEN {number(weight)} ELSE 0.0e0 END)"
        taken.append(picked)
    return counts, f"CASE WHEN {present} > 0 THEN {numerator} / {present} ELSE 0.0e0 END"


def _time_decay(config: AttributionConfig) -> tuple[list[str], str]:
    # As `positions.time_decay`: age in days back from as_of (else the last touch), relative
    # to the journey's youngest touch (its last), halving every half-life.
    seconds = f"CAST(t AS DOUBLE) / {number(1e6)}"
    last = f"CAST(max(t) OVER ({_JOURNEY}) AS DOUBLE) / {number(1e6)}"
    as_of = f"COALESCE(CAST(as_of_us AS DOUBLE) / {number(1e6)}, {last})"
    age = f"greatest({as_of} - {seconds}, 0.0e0) / {number(86400)}"
    youngest = f"greatest({as_of} - {last}, 0.0e0) / {number(86400)}"
    half_life = number(config.time_decay.half_life_days)
    return [], f"power(2.0e0, (-({age} - {youngest})) / {half_life})"


def _learned(name: str) -> tuple[list[str], str]:
    # `channel_share_weights`: the channel's share split over its repeats in the journey.
    repeats = "count(*) OVER (PARTITION BY opportunity_id, channel)"
    return [], f"COALESCE(s_{name}, 0.0e0) / CAST({repeats} AS DOUBLE)"


def model_weight(name: str, config: AttributionConfig) -> tuple[list[str], str]:
    """(window columns, per-touch weight) of one model of the configuration."""
    fixed = {"first_touch": {"first": 100.0}, "last_touch": {"last": 100.0},
             "linear": {"rest": 100.0}}  # fmt: skip
    if name in fixed:
        return position_weight(name, fixed[name])
    if name in ("u_shaped", "w_shaped", "full_path"):
        return position_weight(name, getattr(config, name))
    if name in config.custom_models:
        return position_weight(name, config.custom_models[name])
    if name == "time_decay":
        return _time_decay(config)
    if name in DATA_DRIVEN:
        return _learned(name)
    raise ValueError(f"model {name!r} has no SQL form")


def credits_statement(
    config: AttributionConfig,
    models: Sequence[str],
    source: str | None = None,
    dimensions: Sequence[str] = DIMENSIONS,
) -> Statement:
    """One row per touch of a converted deal: ids, ``touch_index``, `dimensions` and one
    BIGINT column of cents per model, each summing to the deal's amount exactly. The touches
    are `source` (default: `touches_sql` of the configuration's window)."""
    learned = [m for m in models if m in DATA_DRIVEN]
    shares = ", ".join(f"s.{m} AS s_{m}" for m in learned)
    joined = f"""SELECT tp.*, abs(d.amount_cents) AS mag,
        CASE WHEN d.amount_cents < 0 THEN -1 ELSE 1 END AS sign, d.as_of_us
        {", " + shares if shares else ""}
      FROM ({source or touches_sql(config)}) tp
      JOIN deals d ON tp.opportunity_id = d.opportunity_id
      {"LEFT JOIN shares s ON tp.channel = s.channel" if learned else ""}
      WHERE d.converted"""
    windows, weights = [], []
    for model in models:
        counts, weight = model_weight(model, config)
        windows += counts
        weights.append(f"greatest({weight}, 0.0e0) AS {model}_w")
    counted = f"SELECT j.*{''.join(', ' + c for c in windows)} FROM ({joined}) j"
    weighted = f"SELECT k.*, {', '.join(weights)} FROM ({counted}) k"
    # The allocator, step by step as `money.allocate_cents`: weights in whole units of the
    # deal's largest (`money.weight_units`; all zero: one each, an equal split), whose sum is
    # exact in any order. Floors summing above the amount would need float error of a whole
    # cent, so cents are only ever handed out, never taken back.
    steps = [
        "max({m}_w) OVER ({j}) AS {m}_peak",
        "CASE WHEN {m}_peak > 0 THEN CAST(floor({m}_w / {m}_peak * 1099511627776.0e0 + 0.5e0)"
        " AS BIGINT) ELSE 1 END AS {m}_v",
        "CAST(mag AS DOUBLE) * (CAST({m}_v AS DOUBLE) / CAST(sum({m}_v) OVER ({j}) AS DOUBLE))"
        " AS {m}_raw",
        "floor({m}_raw) AS {m}_fl",
        "mag - sum({m}_fl) OVER ({j}) AS {m}_left, "
        "least(floor((1.0e0 - ({m}_raw - {m}_fl)) * 4294967296.0e0), 4294967295) AS {m}_key",
        "row_number() OVER ({j} ORDER BY {m}_key, pos) - 1 AS {m}_rank",
    ]
    query = weighted
    for step in steps:
        columns = ", ".join(step.format(m=m, j=_JOURNEY) for m in models)
        query = f"SELECT q.*, {columns} FROM ({query}) q"
    cents = ", ".join(
        f"CAST(({m}_fl + CASE WHEN {m}_rank < {m}_left THEN 1 ELSE 0 END) * sign AS BIGINT) AS {m}"
        for m in models
    )
    return Statement(
        f"SELECT opportunity_id, activity_id, CAST(pos AS INT) AS touch_index, "
        f"{''.join(c + ', ' for c in dimensions)}{cents} FROM ({query}) q "
        "ORDER BY opportunity_id, pos",
        (),
    )
