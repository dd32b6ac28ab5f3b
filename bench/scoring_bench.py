"""Full rescore benchmark: Polars (tandem.scoring.rescore) vs pandas vs row-by-row Python.

    .venv/bin/python bench/scoring_bench.py --contacts 1000000 --activities 20000000

Generates seeded synthetic contacts and activities as Parquet (once per size), then runs each
implementation in its own process so each reports its own time and peak RSS. Row-by-row Python
(`engine.score_contact` per contact) runs on a sample of contacts and is extrapolated linearly.
All implementations must agree: totals are checked against the Polars result.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "examples" / "scoring" / "default.yaml"
AS_OF = datetime(2024, 6, 1, tzinfo=UTC)
US_PER_DAY = 86_400_000_000
DOCS = ROOT / "docs" / "benchmarks.md"


def _dict_column(rng: np.random.Generator, values: list, p: list[float] | None, n: int) -> pa.Array:
    idx = rng.choice(len(values), size=n, p=p).astype(np.int32)
    return pa.DictionaryArray.from_arrays(pa.array(idx), pa.array(values)).cast(pa.string())


def generate(n_contacts: int, n_activities: int, out: Path, seed: int = 7) -> tuple[Path, Path]:
    """Write contacts.parquet and activities.parquet (skip if already there)."""
    out.mkdir(parents=True, exist_ok=True)
    cpath, apath = out / "contacts.parquet", out / "activities.parquet"
    if cpath.exists() and apath.exists():
        return cpath, apath
    rng = np.random.default_rng(seed)
    n = n_contacts
    maybe = [None]
    contacts = pa.table(
        {
            "contact_id": pa.array(np.arange(n, dtype=np.int64)),
            "contact.job_level": _dict_column(
                rng,
                ["c_level", "vp", "director", "manager", "individual", *maybe],
                [0.05, 0.1, 0.15, 0.25, 0.35, 0.1],
                n,
            ),
            "contact.title": _dict_column(
                rng,
                [
                    "CEO",
                    "VP Sales",
                    "Head of Marketing",
                    "Sales Manager",
                    "Engineer",
                    "Student",
                    "Marketing Intern",
                    *maybe,
                ],
                None,
                n,
            ),
            "contact.budget": pa.array(
                np.where(rng.random(n) < 0.3, np.round(rng.lognormal(9.5, 1.0, n), -2), np.nan),
                from_pandas=True,
            ),
            "contact.authority": _dict_column(
                rng, ["decision_maker", "influencer", *maybe], [0.15, 0.35, 0.5], n
            ),
            "contact.need": _dict_column(rng, ["high", "medium", "low", *maybe], None, n),
            "contact.timeline": _dict_column(rng, ["0-3m", "3-6m", "6-12m", *maybe], None, n),
            "contact.email_domain": _dict_column(
                rng,
                ["acme.com", "globex.com", "initech.com", "gmail.com", "rivalcrm.com"],
                [0.3, 0.3, 0.3, 0.09, 0.01],
                n,
            ),
            "account.is_target": pa.array(rng.random(n) < 0.1),
            "account.industry": _dict_column(
                rng,
                ["software", "financial_services", "healthcare", "retail", "education"],
                None,
                n,
            ),
            "account.employees": pa.array(rng.lognormal(5, 1.8, n).astype(np.int64)),
            "account.region": _dict_column(
                rng, ["north_america", "emea", "apac", "latam"], None, n
            ),
        }
    )
    pq.write_table(contacts, cpath)
    del contacts
    chunk = 5_000_000  # write activities in row groups to bound memory
    writer = None
    types = [
        "page_view",
        "email_open",
        "email_click",
        "content_download",
        "ad_click",
        "web_visit",
        "webinar_register",
        "webinar_attend",
        "demo_request",
        "email_unsubscribe",
        "event_attend",
        "form_submit",
    ]
    type_p = [0.5, 0.15, 0.08, 0.07, 0.05, 0.06, 0.03, 0.02, 0.01, 0.01, 0.01, 0.01]
    urls = [
        *(f"https://tandem.example/blog/post-{i}" for i in range(40)),
        "https://tandem.example/pricing",
        "https://tandem.example/pricing?plan=team",
        "https://tandem.example/careers/",
        "https://tandem.example/careers/sdr",
        "https://tandem.example/product",
        "https://tandem.example/",
        None,
    ]
    for start in range(0, n_activities, chunk):
        m = min(chunk, n_activities - start)
        # a few contacts are very active (Pareto), most touch a handful of times
        cid = np.minimum((rng.pareto(1.2, m) * n / 20).astype(np.int64), n - 1)
        cid = np.where(rng.random(m) < 0.5, rng.integers(0, n, m), cid)
        age_us = (rng.random(m) * 400 * US_PER_DAY).astype(np.int64) - 2 * US_PER_DAY
        as_of_us = int(AS_OF.timestamp()) * 1_000_000
        table = pa.table(
            {
                "contact_id": pa.array(cid),
                "activity_type": _dict_column(rng, types, type_p, m),
                "occurred_at": pa.array(as_of_us - age_us, pa.timestamp("us", tz="UTC")),
                "channel": _dict_column(
                    rng,
                    ["email", "organic_search", "paid_search", "paid_social", "direct", None],
                    None,
                    m,
                ),
                "campaign": _dict_column(
                    rng, [f"cmp-{i:03d}" for i in range(50)] + [None], None, m
                ),
                "asset_stage": _dict_column(
                    rng, ["awareness", "consideration", "decision", None], [0.3, 0.2, 0.1, 0.4], m
                ),
                "url": _dict_column(rng, urls, None, m),
                "properties": _dict_column(
                    rng, [None, '{"format": "pdf"}', '{"format": "video"}'], [0.8, 0.1, 0.1], m
                ),
            }
        )
        writer = writer or pq.ParquetWriter(apath, table.schema)
        writer.write_table(table, row_group_size=1_000_000)
    if writer:
        writer.close()
    write_outcomes(n_contacts, out, rng)
    return cpath, apath


def write_outcomes(n: int, out: Path, rng: np.random.Generator) -> None:
    """transitions.parquet and opportunities.parquet: ~3% of contacts get a deal in the last
    year (40% won), preceded by SAL and SQL moves; a further ~3% reach SQL without a deal."""
    as_of_us = int(AS_OF.timestamp()) * 1_000_000
    dealt = rng.choice(n, size=n * 3 // 100, replace=False)
    created = as_of_us - (rng.random(dealt.size) * 365 * US_PER_DAY).astype(np.int64)
    won = rng.random(dealt.size) < 0.4
    ts = pa.timestamp("us", tz="UTC")
    pq.write_table(
        pa.table(
            {
                "opportunity_id": pa.array(np.arange(dealt.size, dtype=np.int64)),
                "contact_id": pa.array(dealt.astype(np.int64)),
                "created_at": pa.array(created, ts),
                "won": pa.array(won),
                "amount": pa.array(np.round(rng.lognormal(10, 0.7, dealt.size), 2)),
            }
        ),
        out / "opportunities.parquet",
    )
    sql_only = rng.choice(n, size=n * 3 // 100, replace=False)
    sql_at = as_of_us - (rng.random(sql_only.size) * 365 * US_PER_DAY).astype(np.int64)
    ids = np.concatenate([dealt, dealt, sql_only]).astype(np.int64)
    stages = ["sal"] * dealt.size + ["sql"] * dealt.size + ["sql"] * sql_only.size
    at = np.concatenate([created - 10 * US_PER_DAY, created - 5 * US_PER_DAY, sql_at])
    pq.write_table(
        pa.table({"contact_id": ids, "to_stage": stages, "occurred_at": pa.array(at, ts)}),
        out / "transitions.parquet",
    )


# --- implementations (each run in a child process) ----------------------------------------------


def run_polars(cpath: Path, apath: Path, _: int) -> dict:
    from tandem.scoring.loader import load_model
    from tandem.scoring.rescore import rescore

    model = load_model(MODEL)
    t0 = time.perf_counter()
    result = rescore(model, cpath, apath, as_of=AS_OF)
    seconds = time.perf_counter() - t0
    s = result.scores
    return {
        "seconds": seconds,
        "contacts": s.height,
        "total_cents": int((s["total"].cast(float) * 100).round().sum()),
        "mqls": int(s["is_mql"].sum()),
        "parts": result.parts.height,
    }


def run_pandas(cpath: Path, apath: Path, _: int) -> dict:
    """The same maths written as a pandas script (numpy for decay, groupby for caps)."""
    import pandas as pd

    from tandem.scoring.engine import to_cents
    from tandem.scoring.loader import load_model
    from tandem.scoring.match import compiled
    from tandem.scoring.model import EqualsRule, ExistsRule, InRule, RangeRule, RegexRule

    model = load_model(MODEL)
    t0 = time.perf_counter()
    contacts = pd.read_parquet(cpath)
    acts = pd.read_parquet(apath)
    now = int(AS_OF.timestamp()) * 1_000_000
    fit_cents = np.zeros(len(contacts), dtype=np.int64)
    n_parts = 0
    for r in model.fit_rules:
        col = contacts[r.field]
        if isinstance(r, EqualsRule | InRule):
            vals = [r.value] if isinstance(r, EqualsRule) else list(r.values)
            if col.dtype == bool:
                mask = col.isin([v for v in vals if isinstance(v, bool)])
            elif pd.api.types.is_numeric_dtype(col):
                mask = col.isin([v for v in vals if not isinstance(v, bool | str)])
            else:
                mask = col.str.lower().isin([str(v).lower() for v in vals if isinstance(v, str)])
        elif isinstance(r, RangeRule):
            mask = pd.Series(True, index=col.index)
            if r.min is not None:
                mask &= col >= r.min
            if r.max is not None:
                mask &= col < r.max
        elif isinstance(r, RegexRule):
            mask = col.str.contains(compiled(r.pattern), na=False)
        elif isinstance(r, ExistsRule):
            mask = col.notna() & (col != "")
            mask = mask if r.present else ~mask
        mask = mask.fillna(False).to_numpy(bool)
        n_parts += int(mask.sum())
        fit_cents[mask] += to_cents(r.points)
    fit = pd.Series(fit_cents, index=contacts["contact_id"])
    t = (
        acts["occurred_at"].astype("int64").to_numpy() // 1000
        if acts["occurred_at"].dtype.unit == "ns"
        else acts["occurred_at"].astype("int64").to_numpy()
    )
    acts = acts.assign(t=t, age=now - t)
    engagement = pd.Series(0, index=contacts["contact_id"], dtype="int64")
    for r in model.behaviour_rules:
        f = r.filters
        mask = (acts["activity_type"] == r.activity_type) & (acts["age"] >= 0)
        if f.asset_stage:
            mask &= acts["asset_stage"].isin(list(f.asset_stage))
        if f.channel:
            mask &= acts["channel"].isin([str(c) for c in f.channel])
        if f.campaign:
            mask &= acts["campaign"].isin(list(f.campaign))
        if f.url_pattern:
            mask &= acts["url"].str.contains(compiled(f.url_pattern), na=False)
        if r.decay and r.decay.window_days:
            mask &= acts["age"] < r.decay.window_days * US_PER_DAY
        sub = acts.loc[mask.fillna(False), ["contact_id", "t", "age"]]
        units = to_cents(r.points) * 100
        if r.decay and r.decay.half_life_days:
            x = units * np.power(0.5, (sub["age"].to_numpy() / US_PER_DAY) / r.decay.half_life_days)
            u = (np.floor(np.abs(x) + 0.5) * np.sign(x)).astype(np.int64)
        else:
            u = np.full(len(sub), units, dtype=np.int64)
        sub = sub.assign(u=u, day=sub["t"] // US_PER_DAY)
        sub = sub[sub["u"] != 0]
        daily = sub.groupby(["contact_id", "day"], sort=False)["u"].sum()
        if r.daily_cap:
            lim = to_cents(r.daily_cap) * 100
            daily = daily.clip(-lim, lim)
        per = daily.groupby(level=0, sort=False).sum()
        if r.cap:
            lim = to_cents(r.cap) * 100
            per = per.clip(-lim, lim)
        cents = np.sign(per) * ((per.abs() + 50) // 100)
        n_parts += len(cents)
        engagement = engagement.add(cents, fill_value=0).astype("int64")
    engagement = engagement.reindex(fit.index, fill_value=0)
    total = fit + engagement
    mql = (
        (fit >= to_cents(model.mql.fit or -1e9))
        & (engagement >= to_cents(model.mql.engagement or -1e9))
        & (total >= to_cents(model.mql.total or -1e9))
    )
    seconds = time.perf_counter() - t0
    return {
        "seconds": seconds,
        "contacts": len(total),
        "total_cents": int(total.sum()),
        "mqls": int(mql.sum()),
        "parts": n_parts,
    }


def run_rows(cpath: Path, apath: Path, sample: int) -> dict:
    """engine.score_contact per contact, on every (N / sample)-th contact (a spread sample)."""
    import json as _json

    import polars as pl

    from tandem.scoring.engine import score_contact
    from tandem.scoring.facts import ActivityFact, ContactFacts
    from tandem.scoring.loader import load_model

    model = load_model(MODEL)
    n = pl.scan_parquet(cpath).select(pl.len()).collect().item()
    pick = pl.col("contact_id") % max(n // sample, 1) == 0
    contacts = pl.scan_parquet(cpath).filter(pick).collect()
    acts = pl.scan_parquet(apath).filter(pick).collect()
    t0 = time.perf_counter()
    by_contact: dict[int, list[ActivityFact]] = {}
    for a in acts.iter_rows(named=True):
        props = _json.loads(a["properties"]) if a["properties"] else {}
        by_contact.setdefault(a["contact_id"], []).append(
            ActivityFact(
                a["contact_id"],
                a["activity_type"],
                a["occurred_at"],
                a["channel"],
                a["campaign"],
                a["asset_stage"],
                a["url"],
                props,
            )
        )
    total = mqls = 0
    for row in contacts.iter_rows(named=True):
        cid = row.pop("contact_id")
        r = score_contact(model, ContactFacts(cid, row), by_contact.get(cid, []), as_of=AS_OF)
        total += int(r.total * 100)
        mqls += r.is_mql
    seconds = time.perf_counter() - t0
    return {
        "seconds": seconds,
        "contacts": contacts.height,
        "activities": acts.height,
        "total_cents": total,
        "mqls": mqls,
    }


def run_duckdb(cpath: Path, apath: Path, _: int) -> dict:
    """The same score as one DuckDB SQL query over the same Parquet files (bench/scoring_sql)."""
    import duckdb
    from scoring_sql import score_sql

    from tandem.scoring.loader import load_model

    model = load_model(MODEL)
    t0 = time.perf_counter()
    out = duckdb.sql(score_sql(model, str(cpath), str(apath), AS_OF)).pl()
    seconds = time.perf_counter() - t0
    return {
        "seconds": seconds,
        "contacts": out.height,
        "total_cents": int(out["total_cents"].sum()),
        "mqls": int(out["is_mql"].sum()),
    }


def run_backtest(cpath: Path, apath: Path, _: int) -> dict:
    """A year of history replayed weekly: monthly table, threshold sweep, recommendations."""
    from datetime import timedelta

    import polars as pl

    from tandem.scoring.backtest import History
    from tandem.scoring.backtest_report import build_report
    from tandem.scoring.loader import load_model

    model = load_model(MODEL)
    folder = cpath.parent
    history = History(
        pl.scan_parquet(cpath),
        pl.scan_parquet(apath),
        pl.read_parquet(folder / "transitions.parquet"),
        pl.read_parquet(folder / "opportunities.parquet"),
    )
    t0 = time.perf_counter()
    report = build_report(
        [("default", model)],
        history,
        start=AS_OF - timedelta(days=365),
        end=AS_OF,
        step=timedelta(days=7),
        outcome="won",
        mqls_per_rep_week=5,
        reps=20,
    )
    seconds = time.perf_counter() - t0
    section = report.models[0]
    return {
        "seconds": seconds,
        "mqls": section.mqls,
        "won": section.won,
        "months": len(section.months),
        "thresholds": len(section.sweep),
        "capacity_threshold": section.capacity_threshold,
        "f1_threshold": section.f1_threshold,
    }


IMPLS = {
    "polars": run_polars,
    "duckdb": run_duckdb,
    "pandas": run_pandas,
    "rows": run_rows,
    "backtest": run_backtest,
}


def run_store(folder: Path, events: int) -> dict:
    """bench/scoring_store.py on the same data: load (once), approve, event API latencies."""
    import scoring_store

    db = folder / "store.db"
    out = {}
    if not db.exists():
        out["load"] = scoring_store.run_step("load", str(folder))
    out["approve"] = scoring_store.run_step("approve", str(folder))
    out["events"] = scoring_store.run_step("events", str(folder), "--events", str(events))
    return out


def peak_rss_mb() -> float:
    """This process's peak RSS. Not `ru_maxrss`: on Linux a child inherits its parent's peak
    across fork and exec, which would charge the data generator's memory to every child."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(impl: str, cpath: Path, apath: Path, sample: int) -> None:
    out = IMPLS[impl](cpath, apath, sample)
    out["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(out))


def run_child(impl: str, cpath: Path, apath: Path, sample: int) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--child",
        impl,
        "--contacts-file",
        str(cpath),
        "--activities-file",
        str(apath),
        "--row-sample",
        str(sample),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--contacts", type=int, default=1_000_000)
    p.add_argument("--activities", type=int, default=20_000_000)
    p.add_argument("--data-dir", type=Path, default=Path("/tmp/tandem-scoring-bench"))
    p.add_argument("--row-sample", type=int, default=20_000, help="contacts scored row by row")
    p.add_argument("--skip", nargs="*", default=[], choices=list(IMPLS))
    p.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    p.add_argument("--store", action="store_true", help="also load SQLite, approve, time the API")
    p.add_argument("--events", type=int, default=2000, help="API requests timed by --store")
    p.add_argument("--child", choices=list(IMPLS), help=argparse.SUPPRESS)
    p.add_argument("--contacts-file", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--activities-file", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        child(args.child, args.contacts_file, args.activities_file, args.row_sample)
        return
    t0 = time.perf_counter()
    size_dir = args.data_dir / f"v2-{args.contacts}x{args.activities}"
    cpath, apath = generate(args.contacts, args.activities, size_dir)
    print(f"data: {cpath.parent} ({time.perf_counter() - t0:.1f}s)", flush=True)
    results = {}
    for impl in IMPLS:
        if impl not in args.skip:
            results[impl] = run_child(impl, cpath, apath, min(args.row_sample, args.contacts))
            print(impl, results[impl], flush=True)
    if args.store:
        results["store"] = run_store(cpath.parent, args.events)
        print("store", results["store"], flush=True)
    report = render(args, results)
    print(report)
    if args.write_docs:
        write_docs(report)


def render(args: argparse.Namespace, results: dict) -> str:
    cmd = (
        f".venv/bin/python bench/scoring_bench.py --contacts {args.contacts} "
        f"--activities {args.activities} --row-sample {args.row_sample}"
    )
    lines = [
        f"`{cmd}` (as of {AS_OF.date()}, model `examples/scoring/default.yaml`, {_machine()})",
        "",
        "| implementation | time (s) | peak RSS (MiB) | notes |",
        "|---|---:|---:|---|",
    ]
    ref = results.get("polars")
    for impl, r in results.items():
        note = ""
        if impl in ("backtest", "store"):
            continue
        if impl == "rows":
            scale = args.activities / max(r["activities"], 1)
            note = (
                f"measured {r['seconds']:.1f} s on {r['contacts']:,} contacts / "
                f"{r['activities']:,} activities, scaled x{scale:,.1f} by activities"
            )
            seconds = r["seconds"] * scale
        else:
            seconds = r["seconds"]
            if ref and impl != "polars":
                same = (r["total_cents"], r["mqls"]) == (ref["total_cents"], ref["mqls"])
                note = "same totals and MQLs as Polars" if same else "**differs from Polars**"
            if impl == "polars":
                note = f"{r['mqls']:,} MQLs, {r['parts']:,} parts rows"
        lines.append(f"| {impl} | {seconds:,.1f} | {r['peak_rss_mb']:,.0f} | {note} |")
    if ref and "duckdb" in results:
        ratio = ref["seconds"] / results["duckdb"]["seconds"]
        lines += ["", f"Tandem (Polars) / DuckDB query time: **{ratio:.2f}x** (target: within 2x)."]
    if "backtest" in results:
        b = results["backtest"]
        lines += [
            "",
            f"Backtest of a year (53 weekly replays, monthly table, {b['thresholds']}-threshold "
            f"sweep, both recommendations): **{b['seconds']:.1f} s**, peak RSS "
            f"{b['peak_rss_mb']:,.0f} MiB ({b['mqls']:,} MQLs, {b['won']:,} won; capacity pick "
            f"{b['capacity_threshold']}, F1-best {b['f1_threshold']}).",
        ]
    if "store" in results:
        lines += ["", *store_lines(results["store"])]
    return "\n".join(lines)


def store_lines(store: dict) -> list[str]:
    """The store benchmark (load, approval rescore, event API latencies) as Markdown."""
    out = []
    if "load" in store:
        load = store["load"]
        out.append(
            f"Store: {load['contacts']:,} contacts and {load['activities']:,} activities bulk-"
            f"loaded into SQLite in {load['seconds']:.0f} s."
        )
    a = store["approve"]
    out.append(
        f"Approval of the model on that store (propose, approve, full rescore read from and "
        f"written to SQLite, MQL transitions): **{a['seconds']:.1f} s** (read "
        f"{a['seconds_detail']['read']:.1f} s, score {a['seconds_detail']['score']:.1f} s, "
        f"write {a['seconds_detail']['write']:.1f} s), peak RSS {a['peak_rss_mb']:,.0f} MiB, "
        f"{a['mqls']:,} MQLs, {a['promoted_to_mql']:,} moved to MQL."
    )
    e = store["events"]
    out += [
        "",
        "| single activity via POST /api/v1/activities (loopback) | p50 ms | p95 ms | p99 ms | n |",
        "|---|---:|---:|---:|---:|",
        *(
            f"| {label} | {e[k]['p50']} | {e[k]['p95']} | {e[k]['p99']} | {e[k]['n']} |"
            for k, label in (
                ("scored", "whole request, model active (ingest + incremental score, one commit)"),
                ("handler", "of which the incremental score update (timed inside the server)"),
                ("unscored", "whole request, no active model (ingest only)"),
            )
        ),
    ]
    return out


def _machine() -> str:
    import os

    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = os.getloadavg()[0]
    return f"{os.cpu_count()} cores, {mem:.0f} GiB RAM, load average {load:.1f} at the end"


def write_docs(report: str) -> None:
    """Replace the scoring section of docs/benchmarks.md (other sections are left alone)."""
    start, end = "<!-- scoring-bench:start -->", "<!-- scoring-bench:end -->"
    text = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n"
    if start not in text:
        text += f"\n## Scoring\n\n{start}\n{end}\n"
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    DOCS.write_text(f"{head}{start}\n{report}\n{end}{tail}")


if __name__ == "__main__":
    main()
