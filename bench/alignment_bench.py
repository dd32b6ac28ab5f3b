"""Alignment report benchmark; the figures are in docs/benchmarks.md ("Alignment").

    PYTHONPATH=src .venv/bin/python bench/alignment_bench.py [--respondents 5000] [--repeat 5]

Builds a fresh SQLite database, opens a wave of the default instrument, imports the answers
of N generated respondents (marketing 40%, sales 50%, customers 10%; one planted gap, one
split team) through `tandem survey import-responses`' service, closes it, then times the
whole report (`reporting.report`: answers read from the database, registry figures, every
group, gap, test, index) and its JSON, beside a straightforward pandas + scipy script that
reads the same table and computes the same per-statement tests (groupby, mannwhitneyu,
ttest_ind's interval, false_discovery_control). The two must agree on every p-value.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import platform
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats as sps
from sqlalchemy.orm import Session

from tandem.alignment import reporting, service, synthetic
from tandem.alignment.definitions import SHIPPED, parse_text
from tandem.analytics.snapshot import load_facts
from tandem.db import make_engine
from tandem.migrate import upgrade

AT = datetime(2026, 11, 20, 12, tzinfo=UTC)


def generated_csv(respondents: int) -> tuple[bytes, int]:
    inst, _ = parse_text(SHIPPED["default"].read_text(), "default")
    sizes = {
        "marketing": int(respondents * 0.4),
        "sales": int(respondents * 0.5),
        "customer": respondents - int(respondents * 0.4) - int(respondents * 0.5),
    }
    rows = synthetic.generate(
        inst,
        sizes,
        seed=5,
        centres={("leads_accepted", "marketing"): 4, ("leads_accepted", "sales"): 2},
        split={"one_system": "marketing"},
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["respondent", "audience", "statement", "answer"])
    writer.writerows((f"r{p}", a, s, int(v)) for p, a, s, v in rows)
    return out.getvalue().encode(), len(rows)


def pandas_scipy(url: str, wave_id: int) -> dict[tuple[str, str, str], float]:
    """The straightforward script: read, group, test each pair, adjust."""
    frame = pd.read_sql(
        "SELECT audience, statement, answer FROM survey_responses"
        " WHERE wave_id = :wave AND answer IS NOT NULL",
        make_engine(url),
        params={"wave": wave_id},
    )
    p_values = {}
    for statement, group in frame.groupby("statement"):
        by = {a: g["answer"].to_numpy(float) for a, g in group.groupby("audience")}
        names = [a for a in ("marketing", "sales", "customer") if a in by and len(by[a]) >= 5]
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                test = sps.mannwhitneyu(by[a], by[b], method="asymptotic")
                sps.ttest_ind(by[a], by[b], equal_var=False).confidence_interval()
                p_values[(statement, a, b)] = test.pvalue
    q = sps.false_discovery_control(list(p_values.values()))
    return dict(zip(p_values, q, strict=True))


def timed(fn, repeat):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--respondents", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        upgrade(engine)
        data, answers = generated_csv(args.respondents)
        with Session(engine) as db:
            wave = service.open_wave(db_session=db, name="bench", at=AT)
            start = time.perf_counter()
            service.import_responses(db_session=db, wave_name="bench", data=data)
            imported = time.perf_counter() - start
            service.close_wave(db_session=db, name="bench", at=AT)
            db.commit()
            wave_id = wave.id
        with Session(engine) as db:
            facts = load_facts(db_session=db, loaded_at=AT)

            def whole():
                vm = reporting.report(db_session=db, facts=facts, as_of=AT, wave_name="bench")
                return vm, vm.model_dump_json()

            median, best, (vm, text) = timed(whole, args.repeat)
        p_median, p_best, reference = timed(lambda: pandas_scipy(url, wave_id), args.repeat)
    ours = {(g.statement, *g.audiences): g.q for g in vm.gaps}
    assert ours.keys() == reference.keys(), "the two computations compare different groups"
    worst = max(abs(ours[k] - reference[k]) for k in ours)
    assert worst < 1e-9, worst
    findings = [(g.statement, g.audiences) for g in vm.gaps if g.finding]
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"respondents {args.respondents:,}, answers {answers:,}, JSON {len(text):,} bytes")
    print(f"import (check every row, insert): {imported:.2f} s")
    print("| step | median | best |\n| --- | --- | --- |")
    print(f"| Tandem: report (read, figures, gaps, indexes, trend) + JSON | "
          f"{median:.3f} s | {best:.3f} s |")  # fmt: skip
    print(f"| pandas + scipy script (read, per-statement tests, BH) | "
          f"{p_median:.3f} s | {p_best:.3f} s |")  # fmt: skip
    print(f"gaps {len(vm.gaps)}, findings {findings}, max |q - q_scipy| {worst:.1e}")
    print(f"under 2 s: {'yes' if median < 2 else 'NO'}; numpy {np.__version__}")


if __name__ == "__main__":
    main()
