"""Attribution benchmarks; the figures are in docs/benchmarks.md.

    .venv/bin/python bench/attribution_bench.py store     # 50,000 won deals, 20,000,000 activities
    .venv/bin/python bench/attribution_bench.py markov    # Data.csv and 1,000,000 paths vs CA
    .venv/bin/python bench/attribution_bench.py core      # 100,000 journeys, every model, vs CA/mam

`store` builds (once, then reuses) a seeded SQLite store, reads it through Tandem's query layer
and, for comparison, through ADBC (Arrow) and polars.read_database; then windows, attributes
and aggregates with every heuristic model, and runs a straightforward pandas groupby/apply
implementation of the same models on the same touchpoints. `markov` times the exact Markov
solver beside ChannelAttribution's simulated `markov_model`. `core` is the pure core on
synthetic journeys against ChannelAttribution and marketing-attribution-models.
"""

import argparse
import contextlib
import io
import os
import platform
import resource
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl

from tandem import attribution as ta
from tandem.attribution.money import allocate_cents

HEURISTICS = ("first_touch", "last_touch", "linear", "u_shaped", "w_shaped", "full_path",
              "time_decay")  # fmt: skip
CHANNELS = (
    "organic_search", "paid_search", "paid_social", "organic_social", "email", "display",
    "events", "webinar", "referral", "direct", "content_syndication", "partner",
    "sales_outreach", "other",
)  # fmt: skip
SOURCES = ("google", "linkedin", "newsletter", "partner_portal", "g2", "direct")
PATHDATA = Path("/work/shared/data/channelattribution-pathdata/Data.csv")
US_DAY = 86_400_000_000


class Timer:
    """Collects (label, seconds) rows and prints them as a markdown table."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, float]] = []

    def __call__(self, label, fn):
        start = time.perf_counter()
        value = fn()
        self.rows.append((label, time.perf_counter() - start))
        print(f"  {label}: {self.rows[-1][1]:.2f} s", flush=True)
        return value

    def table(self) -> str:
        lines = ["| step | seconds |", "| --- | ---: |"]
        return "\n".join(lines + [f"| {label} | {s:.2f} |" for label, s in self.rows])


def machine() -> str:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    return (
        f"Python {platform.python_version()}, polars {pl.__version__} on "
        f"{pl.thread_pool_size()} threads, {os.cpu_count()} CPUs, peak RSS {rss:.1f} GB"
    )


def quiet_import_ca():
    with contextlib.redirect_stdout(io.StringIO()):
        import ChannelAttribution  # prints a banner on import
    return ChannelAttribution


# --- store: the DB layer at 20,000,000 activities ----------------------------------------------


def _utc(us: np.ndarray) -> pl.Series:
    return pl.Series(us.astype(np.int64)).cast(pl.Datetime("us", "UTC"))


def build_store(path: Path, *, won: int, lost: int, contacts: int, per_contact: float, seed: int):
    """A seeded SQLite store: 4 contacts per account, one deal per account, 2 on its roles."""
    from tandem.bulk import bulk_writer
    from tandem.db import make_engine
    from tandem.demo.touches import TYPE_CHANNELS, TYPES
    from tandem.migrate import upgrade

    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    rng = np.random.default_rng(seed)
    accounts, deals = contacts // 4, won + lost
    start = int(datetime(2023, 1, 1, tzinfo=UTC).timestamp() * 1e6)
    tables = ["accounts", "contacts", "campaigns", "assets", "opportunities",
              "opportunity_contact_roles", "stage_transitions", "activities"]  # fmt: skip
    with bulk_writer(engine, rebuild_indexes=tables) as writer:
        writer.write("accounts", pl.DataFrame({
            "id": np.arange(1, accounts + 1), "name": [f"Account {i}" for i in range(accounts)],
        }))  # fmt: skip
        writer.write("contacts", pl.DataFrame({
            "id": np.arange(1, contacts + 1),
            "email": [f"c{i}@bench.example" for i in range(contacts)],
            "account_id": np.arange(contacts) // 4 + 1,
            "first_touch_source": rng.choice(SOURCES, contacts),
        }))  # fmt: skip
        writer.write("campaigns", pl.DataFrame({
            "id": np.arange(1, 141), "name": [f"Campaign {i}" for i in range(140)],
            "channel": [CHANNELS[i // 10] for i in range(140)],
            "cost": rng.integers(1_000, 50_000, 140).astype(float),
        }))  # fmt: skip
        writer.write("assets", pl.DataFrame({
            "id": np.arange(1, 501), "title": [f"Asset {i}" for i in range(500)],
            "type": "ebook", "journey_stage": "consideration",
        }))  # fmt: skip
        created = start + 243 * US_DAY + rng.integers(0, 488 * US_DAY, deals)
        closed = created + rng.integers(20 * US_DAY, 120 * US_DAY, deals)
        writer.write("opportunities", pl.DataFrame({
            "id": np.arange(1, deals + 1), "name": [f"Deal {i}" for i in range(deals)],
            "account_id": np.arange(1, deals + 1), "primary_contact_id": np.arange(deals) * 4 + 1,
            "stage": np.where(np.arange(deals) < won, "closed_won", "closed_lost"),
            "amount": np.round(rng.lognormal(np.log(25_000), 0.8, deals), 2),
            "created_at": _utc(created), "closed_at": _utc(closed), "is_closed": True,
            "is_won": np.arange(deals) < won,
            "segment": rng.choice(["smb", "mid_market", "enterprise"], deals),
        }))  # fmt: skip
        second = np.arange(deals) * 4 + 2 + rng.integers(0, 3, deals)  # another contact there
        role_contact = np.concatenate([np.arange(deals) * 4 + 1, second])
        writer.write("opportunity_contact_roles", pl.DataFrame({
            "id": np.arange(1, 2 * deals + 1),
            "opportunity_id": np.tile(np.arange(1, deals + 1), 2), "contact_id": role_contact,
            "role": "champion", "is_primary": np.arange(2 * deals) < deals,
        }))  # fmt: skip
        mql = np.tile(created, 2) - rng.integers(0, 150 * US_DAY, 2 * deals)
        writer.write("stage_transitions", pl.DataFrame({
            "id": np.arange(1, 2 * deals + 1), "contact_id": role_contact, "from_stage": "lead",
            "to_stage": "mql", "occurred_at": _utc(mql),
        }))  # fmt: skip
        weights = np.array([20, 20, 15, 8, 5, 5, 7, 2, 3, 2, 2, 1, 5, 3, 3, 0.2])
        type_channels = [TYPE_CHANNELS[t] for t in TYPES]
        next_id = 1
        for first in range(0, contacts, 50_000):
            n = min(50_000, contacts - first)
            counts = rng.poisson(per_contact, n)
            total = int(counts.sum())
            contact = np.repeat(np.arange(first, first + n) + 1, counts)
            kind = rng.choice(len(TYPES), total, p=weights / weights.sum())
            channel = np.empty(total, dtype=object)
            for t, options in enumerate(type_channels):
                sel = kind == t
                names = [c.value for c, _ in options]
                p = np.array([w for _, w in options], dtype=float)
                channel[sel] = rng.choice(names, sel.sum(), p=p / p.sum())
            code = np.array([CHANNELS.index(c) for c in CHANNELS])
            channel_code = (
                pl.Series(channel.astype(str))
                .replace_strict(dict(zip(CHANNELS, code, strict=True)), return_dtype=pl.Int64)
                .to_numpy()
            )
            tracked = ~np.isin(channel_code, (0, 9, 12)) | (rng.random(total) < 0.2)
            campaign = np.where(tracked, channel_code * 10 + rng.integers(0, 10, total) + 1, 0)
            wants_asset = np.isin(np.array(TYPES)[kind], ["content_download", "webinar_attend"])
            occurred = start + rng.integers(0, 730 * US_DAY, total)
            ids = np.arange(next_id, next_id + total)
            next_id += total
            writer.write("activities", pl.DataFrame({
                "id": ids, "idempotency_key": pl.Series(ids).cast(pl.String),
                "contact_id": contact, "type": np.array(TYPES)[kind],
                "occurred_at": _utc(occurred), "received_at": _utc(occurred),
                "campaign_id": pl.Series(campaign).replace(0, None),
                "asset_id": pl.Series(
                    np.where(wants_asset, rng.integers(1, 501, total), 0)).replace(0, None),
                "channel": channel.astype(str), "properties": "{}",
            }))  # fmt: skip
            print(f"  activities written: {next_id - 1:,}", flush=True)
    engine.dispose()


def pandas_heuristics(touches, amounts, half_life_days: float) -> dict:
    """The straightforward implementation: one Python function per deal via groupby/apply."""
    import pandas as pd

    config = ta.default_config()
    positions = {
        "first_touch": {"first": 100.0}, "last_touch": {"last": 100.0}, "linear": {"rest": 100.0},
        "u_shaped": config.u_shaped, "w_shaped": config.w_shaped, "full_path": config.full_path,
    }  # fmt: skip
    bits = {m: 1 << k for k, m in enumerate(ta.MILESTONES)}

    def position_rule(n, marks, weights):
        numerator, present, taken = np.zeros(n), 0.0, np.zeros(n, dtype=bool)
        anchors = [(a, w) for a, w in weights.items() if a != "rest" and w > 0]
        anchors += [("rest", weights.get("rest", 0))] if weights.get("rest", 0) > 0 else []
        for anchor, weight in anchors:
            if anchor == "first":
                picked = np.arange(n) == 0
            elif anchor == "last":
                picked = np.arange(n) == n - 1
            elif anchor == "rest":
                picked = ~taken
            else:
                picked = (marks & bits[anchor]) != 0
            if picked.any():
                numerator[picked] += weight / picked.sum()
                present += weight
            taken |= picked
        return numerator / present if present else np.full(n, 1.0 / n)

    def per_deal(group):
        n, marks = len(group), group["milestones"].to_numpy()
        out = {m: position_rule(n, marks, w) for m, w in positions.items()}
        age = (group["as_of"] - group["occurred_at"]).dt.total_seconds().clip(lower=0) / 86400
        decay = np.exp2(-(age - age.iloc[-1]).to_numpy() / half_life_days)
        out["time_decay"] = decay / decay.sum()
        return pd.DataFrame(out, index=group.index)

    frame = touches.merge(amounts, on="opportunity_id")
    weights = frame.groupby("opportunity_id", group_keys=False)[
        ["occurred_at", "as_of", "milestones"]
    ].apply(per_deal)
    credit = weights.mul(frame["amount"], axis=0)
    return credit.groupby(frame["channel"]).sum().to_dict()


def store(args) -> None:
    from sqlalchemy.orm import Session

    from tandem.attribution import query
    from tandem.attribution.schemas import AttributionFilters
    from tandem.attribution.service import first_mql_in_window, team_of_type
    from tandem.db import make_engine

    path = Path(args.path)
    if not path.exists():
        print(f"building {path} (once) ...", flush=True)
        t0 = time.perf_counter()
        build_store(path, won=args.won, lost=args.lost, contacts=args.contacts,
                    per_contact=args.per_contact, seed=args.seed)  # fmt: skip
        print(f"  built in {time.perf_counter() - t0:.0f} s", flush=True)
    engine = make_engine(f"sqlite:///{path}")
    config, filters, timer = ta.default_config(), AttributionFilters(), Timer()
    window = config.window
    with Session(engine) as db:
        connection = db.connection()
        activities = connection.exec_driver_sql("SELECT count(*) FROM activities").scalar()
        print(f"store: {activities:,} activities", flush=True)

        def read_touches():
            return query.touch_candidates(
                connection, filters, scope="contact_roles",
                lookback_days=window.lookback_days, until_close=False)  # fmt: skip

        # The first read pulls the pages into the OS cache; every reader is then timed warm.
        timer("touch candidates, first read after opening the store (cold cache)", read_touches)
        start = time.perf_counter()
        deals = timer("read deals (query.deals)", lambda: query.deals(connection, filters))
        mql = timer("read MQL transitions", lambda: query.mql_transitions(
            connection, filters, scope="contact_roles"))  # fmt: skip
        candidates = timer("read touch candidates: Tandem's reader (DB-API rows -> polars)",
                           read_touches)  # fmt: skip
        read_total = time.perf_counter() - start
        sql = str(query.touch_candidates_query(
            connection, filters, scope="contact_roles", lookback_days=window.lookback_days,
            until_close=False).compile(dialect=engine.dialect,
                                       compile_kwargs={"literal_binds": True}))  # fmt: skip
        timer("same query via polars.read_database (SQLAlchemy connection)",
              lambda: pl.read_database(sql, connection))  # fmt: skip
    engine.dispose()  # ADBC links its own SQLite: no other connection may hold the file

    def adbc():
        import adbc_driver_sqlite.dbapi as adbc_sqlite

        with adbc_sqlite.connect(str(path)) as conn, conn.cursor() as cursor:
            cursor.execute(sql)
            return query.typed(pl.from_arrow(cursor.fetch_arrow_table()), query.TOUCH_SCHEMA)

    via_adbc = timer("same query via ADBC (Arrow, columnar)", adbc)
    assert via_adbc.sort("opportunity_id", "activity_id").equals(
        candidates.sort("opportunity_id", "activity_id")
    )
    won = deals.filter(pl.col("is_won"))
    compute = time.perf_counter()
    deals = deals.join(first_mql_in_window(mql, deals, window.lookback_days), on="opportunity_id",
                       how="left")  # fmt: skip
    touches = timer("select_touchpoints_frame (window, milestones)",
                    lambda: ta.select_touchpoints_frame(
        candidates.with_columns(team_of_type().alias("team")),
        deals.select("opportunity_id", "created_at", "closed_at", "mql_at"),
        lookback_days=window.lookback_days))  # fmt: skip
    won_touches = touches.join(won.select("opportunity_id"), on="opportunity_id")
    journeys = won.select("opportunity_id", "amount_cents", pl.col("closed_at").alias("as_of"))
    models_start = time.perf_counter()
    batch = timer(
        "batch_from_frames (won deals)", lambda: ta.batch_from_frames(journeys, won_touches)
    )
    result = timer("attribute(): the 7 heuristic models, exact cents",
                   lambda: ta.attribute(batch, config=config, models=HEURISTICS))  # fmt: skip
    by_channel = timer("aggregate by channel", lambda: ta.aggregate(result, by="channel"))
    ours_models = time.perf_counter() - models_start
    timer.rows.append(("**heuristic models, touchpoints to channel totals (3 steps above)**",
                       ours_models))  # fmt: skip
    compute_total = time.perf_counter() - compute
    adbc_seconds = next(s for label, s in timer.rows if label.startswith("same query via ADBC"))
    ours_read = next(s for label, s in timer.rows if label.startswith("read touch candidates"))
    timer.rows.append(("**Tandem end to end: read + window + heuristic models**",
                       read_total + compute_total))  # fmt: skip
    timer.rows.append(("**the same, touch candidates read via ADBC instead**",
                       read_total - ours_read + adbc_seconds + compute_total))  # fmt: skip
    pandas_touches = won_touches.select(
        "opportunity_id", "occurred_at", "channel", "milestones", "activity_id"
    ).join(journeys.select("opportunity_id", "as_of"), on="opportunity_id").sort(
        "opportunity_id", "occurred_at", "activity_id").to_pandas()  # fmt: skip
    amounts = won.select(
        "opportunity_id", (pl.col("amount_cents") / 100).alias("amount")
    ).to_pandas()
    theirs = timer("pandas groupby/apply, the same 7 models",
                   lambda: pandas_heuristics(pandas_touches, amounts,
                                             config.time_decay.half_life_days))  # fmt: skip
    pandas_seconds = timer.rows[-1][1]
    worst = max(abs(float(r.credits[m]) - theirs[m][r.key]) / theirs[m][r.key]
                for r in by_channel for m in HEURISTICS if theirs[m][r.key])  # fmt: skip
    print(f"\n{args.won:,} won + {args.lost:,} lost deals; {activities:,} activities; "
          f"{candidates.height:,} candidate rows read; {touches.height:,} touchpoints "
          f"({won_touches.height:,} of won deals); {machine()}\n")  # fmt: skip
    print(timer.table())
    print(f"\nTandem is {pandas_seconds / ours_models:.0f}x faster than pandas groupby/apply; "
          f"channel totals agree to {worst:.1e} relative (cent rounding).")  # fmt: skip


# --- markov: exact solver vs ChannelAttribution's simulation ------------------------------------


def generated_paths(n: int, seed: int) -> pl.DataFrame:
    """`n` path rows over 12 channels (geometric lengths, mean 4) with conversions and nulls."""
    rng = np.random.default_rng(seed)
    lengths = rng.geometric(0.25, n)
    channels = np.array([f"ch{i:02d}" for i in range(12)])
    popularity = rng.dirichlet(np.ones(12) * 2)
    touches = channels[rng.choice(12, int(lengths.sum()), p=popularity)]
    path = (
        pl.Series(touches)
        .to_frame("c")
        .with_columns(pl.Series(np.repeat(np.arange(n), lengths)).alias("row"))
        .group_by("row", maintain_order=True)
        .agg(pl.col("c").str.join(" > "))["c"]
    )
    conversions = rng.poisson(0.3, n)
    return pl.DataFrame({
        "path": path, "total_conversions": conversions,
        "total_conversion_value": np.round(conversions * rng.lognormal(4, 0.5, n), 2),
        "total_null": rng.poisson(1.0, n) + (conversions == 0),
    })  # fmt: skip


def markov(args) -> None:
    import scipy.sparse.linalg  # noqa: F401  (imported lazily by the solver; keep it out of the timing)

    ca = quiet_import_ca()
    sets = [("Data.csv", pl.read_csv(PATHDATA, separator=";"))] if PATHDATA.exists() else []
    sets.append((f"{args.paths:,} generated paths", generated_paths(args.paths, args.seed)))
    for name, frame in sets:
        markov_one(ca, name, frame)


def markov_one(ca, name: str, frame: pl.DataFrame) -> None:
    from tandem.attribution.path_table import parse_path_table

    timer = Timer()
    print(f"\n{name}: {frame.height:,} rows", flush=True)
    paths = timer("Tandem: parse and validate the path table",
                  lambda: parse_path_table(frame.select(pl.all().cast(pl.String))))  # fmt: skip
    ours = timer("Tandem: markov_attribution, exact removal effects",
                 lambda: ta.markov_attribution(paths))  # fmt: skip
    pandas_frame = frame.to_pandas()
    with contextlib.redirect_stdout(io.StringIO()):
        theirs = timer("ChannelAttribution markov_model(order=1, seed=0), simulated",
                       lambda: ca.markov_model(
                           pandas_frame, "path", "total_conversions",
                           var_value="total_conversion_value", var_null="total_null",
                           order=1, seed=0, verbose=False, flg_pro=False))  # fmt: skip
    theirs = dict(zip(theirs["channel_name"], theirs["total_conversions"], strict=True))
    mine = dict(zip(ours.channels, ours.conversions, strict=True))
    worst = max(abs(mine[c] - theirs[c]) for c in mine) / sum(mine.values())
    print(f"\n{machine()}\n\n{timer.table()}\n\nlargest channel difference, simulated vs "
          f"exact: {worst:.2%} of all conversions")  # fmt: skip


# --- core: the pure models on synthetic journeys vs the reference packages ---------------------


def synthetic_journeys(journeys: int, mean_touches: float, seed: int):
    """Seeded won journeys as the frames the DB layer produces (about 10% outside the window)."""
    rng = np.random.default_rng(seed)
    lengths = rng.poisson(mean_touches / 0.9 - 1, journeys) + 1
    total = int(lengths.sum())
    journey = np.repeat(np.arange(journeys), lengths)
    age = rng.uniform(0, 200 * 86400, total)
    channel = rng.choice(len(CHANNELS), total)
    created_s = datetime(2024, 1, 1, tzinfo=UTC).timestamp() + rng.uniform(0, 365 * 86400, journeys)
    activities = pl.DataFrame({
        "opportunity_id": journey, "activity_id": np.arange(total),
        "occurred_at": _utc((created_s[journey] - age) * 1e6),
        "channel": np.array(CHANNELS)[channel],
        "campaign_id": pl.Series(channel * 10 + rng.integers(0, 10, total)),
        "team": np.where(channel == 12, "sales", "marketing"),
    })  # fmt: skip
    opportunities = pl.DataFrame({
        "opportunity_id": np.arange(journeys), "created_at": _utc(created_s * 1e6),
        "mql_at": _utc((created_s - rng.uniform(0, 120 * 86400, journeys)) * 1e6),
        "amount_cents": (np.round(rng.lognormal(np.log(25_000), 0.8, journeys), 2) * 100
                         ).astype(int),
    }).with_columns(pl.col("created_at").alias("as_of"))  # fmt: skip
    return opportunities, activities


def core(args) -> None:
    import mam

    ca = quiet_import_ca()
    config, timer = ta.default_config(), Timer()
    opportunities, activities = synthetic_journeys(args.journeys, args.touches, args.seed)
    touches = timer("select_touchpoints_frame", lambda: ta.select_touchpoints_frame(
        activities, opportunities.select("opportunity_id", "created_at", "mql_at")))  # fmt: skip
    batch = timer("batch_from_frames", lambda: ta.batch_from_frames(
        opportunities.select("opportunity_id", "amount_cents", "as_of"), touches))  # fmt: skip
    result = timer("attribute(): all 9 models", lambda: ta.attribute(batch, config=config))
    amount = batch.amount_cents
    for name in ta.available(config):
        timer(f"of which {name}", lambda name=name: allocate_cents(
            amount, ta.resolve(name, config)(batch, config), batch.offsets))  # fmt: skip
    ours = {r.key: r.credits for r in ta.aggregate(result, by="channel")}
    names = np.array(batch.channels)[batch.channel_code]
    joined = pl.DataFrame({"j": batch.journey_of_touch, "c": names, "h": "0"}).group_by(
        "j", maintain_order=True).agg(pl.col("c", "h").str.join(" > "))  # fmt: skip
    frame = pl.DataFrame({"path": joined["c"], "time_till_end": joined["h"],  # mam wants times
                          "total_conversions": 1,
                          "total_conversion_value": amount / 100}).to_pandas()  # fmt: skip
    with contextlib.redirect_stdout(io.StringIO()):
        heur = timer("ChannelAttribution heuristic_models", lambda: ca.heuristic_models(
            frame, "path", "total_conversions", var_value="total_conversion_value",
            flg_pro=False)).set_index("channel_name")  # fmt: skip
    model = timer(
        "mam MAM() preprocessing",
        lambda: mam.MAM(
            frame.assign(journey_id=range(len(frame)), has_conv=True),
            format_type="journey",
            channels_colname="path",
            journey_with_conv_colname="has_conv",
            user_id_colname="journey_id",
            conversion_value_colname="total_conversion_value",
        ),
    )
    effects = timer("mam run_markov", model.run_markov).metadata["removal_effect"]["removal_effect"]
    exact = ta.markov_attribution(batch.to_paths())
    print(f"\n{args.journeys:,} journeys, {touches.height:,} touchpoints; {machine()}\n")
    print(timer.table())
    for mine, column in (("first_touch", "first_touch_value"), ("linear", "linear_touch_value")):
        worst = max(abs(float(ours[c][mine]) - v) / v for c, v in heur[column].items() if v)
        print(f"{mine} vs ChannelAttribution: {worst:.1e} relative")
    gap = max(
        abs(effects[c] - e) for c, e in zip(exact.channels, exact.removal_effects, strict=True)
    )
    print(f"markov removal effects vs mam: {gap:.1e} absolute")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="section", required=True)
    s = sub.add_parser("store", help="50,000 won deals over 20,000,000 activities in SQLite")
    s.add_argument("--path", default="var/bench/attribution_store.db")
    s.add_argument("--won", type=int, default=50_000)
    s.add_argument("--lost", type=int, default=25_000)
    s.add_argument("--contacts", type=int, default=400_000)
    s.add_argument("--per-contact", type=float, default=50.0, help="mean activities per contact")
    s.add_argument("--seed", type=int, default=7)
    m = sub.add_parser("markov", help="Markov on Data.csv and generated paths vs CA")
    m.add_argument("--paths", type=int, default=1_000_000)
    m.add_argument("--seed", type=int, default=7)
    c = sub.add_parser("core", help="the pure core on synthetic journeys vs CA and mam")
    c.add_argument("--journeys", type=int, default=100_000)
    c.add_argument("--touches", type=float, default=30.0)
    c.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.section == "store":
        Path(args.path).parent.mkdir(parents=True, exist_ok=True)
    {"store": store, "markov": markov, "core": core}[args.section](args)


if __name__ == "__main__":
    main()
