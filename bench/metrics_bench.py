"""Every dashboard through the metric registry, against the same pages before it, same run.

    .venv/bin/python bench/metrics_bench.py --db /tmp/bench1m.db --baseline /work/wt-base/src

The database is the demo data set at scale (`tandem demo generate --contacts 1000000`: 1M
contacts, 20M activities; deals topped up to 50,000 as `bench/dashboards_bench.py` does).
`--baseline SRC` first times the same pages with Tandem's code from SRC (a checkout of the
commit before the registry) in a child process, then the current code in this one: each page
and its JSON p50/p95, then the registry's own pages, its API and the drill-down list of the
largest figure (first page, a page deep in the list, the CSV of every record).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from dashboards_bench import CPU, _client, _p, _prepare, _time

PAGES = [
    *(f"/analytics/{p}" for p in ("funnel", "velocity", "pipeline", "handoff", "revenue")),
    *(f"/api/v1/analytics/{p}" for p in ("funnel", "velocity", "pipeline", "handoff", "revenue")),
    "/analytics/funnel?segment=enterprise&region=emea",
    "/api/v1/analytics/pipeline?channel=webinar",
    "/",
    "/api/v1/scorecard",
    "/goals",
]


def _rows(client, paths: list[str], n: int) -> list[tuple]:
    rows = []
    for path in paths:
        times = _time(client, path, n)
        rows.append((path, _p(times, 0.5), _p(times, 0.95), _p(CPU[path], 0.5)))
        print(f"{path:55} p50 {rows[-1][1]:7.1f} ms  p95 {rows[-1][2]:7.1f} ms", flush=True)
    return rows


def _registry(client, n: int) -> list[tuple]:
    """The registry's pages and API, and the drill-down of its largest figure."""
    paths = [
        "/metrics",
        "/api/v1/metrics/revenue_won?by=region",
        "/api/v1/metrics/reached_mql?by=channel&filter=segment%3Denterprise",
        "/metrics/conversion_mql_to_sal?by=vertical",
        "/api/v1/metrics/sales_cycle_days",
    ]
    sizes = {
        name: client.get(f"/api/v1/metrics/{name}").json()["rows"]
        for name in ("reached_lead", "reached_subscriber", "contacts_in_stage", "reached_mql")
    }
    big = max(sizes, key=sizes.get)
    print(f"drill-down: {big} over {sizes[big]:,} records", flush=True)
    pages = max(1, sizes[big] // 100)
    paths += [
        f"/metrics/{big}/records",
        f"/api/v1/metrics/{big}/records",
        f"/metrics/{big}/records?page={pages // 2}",
    ]
    rows = _rows(client, paths, n)
    # The web's CSV takes at most 100,000 records: the largest figure under that.
    fitting = [(size, name) for name, size in sizes.items() if size <= 100_000]
    for _, name in [max(fitting)] if fitting else []:
        start = time.perf_counter()
        csv = client.get(f"/metrics/{name}/records.csv")
        seconds = time.perf_counter() - start
        lines = csv.text.count("\n") - 1
        print(f"CSV of every record of {name}: {lines:,} rows in {seconds:.2f} s", flush=True)
        rows.append((f"/metrics/{name}/records.csv ({lines:,} rows)", seconds * 1000, 0, 0))
    too_big = client.get(f"/metrics/{big}/records.csv")
    print(f"CSV of {big}: {too_big.status_code} {too_big.text[:120]}", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--baseline", type=Path, help="src/ of the code before the registry")
    parser.add_argument("--opportunities", type=int, default=50_000)
    parser.add_argument("-n", type=int, default=20, help="requests per page")
    parser.add_argument("--pages-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    url = f"sqlite:///{args.db}"
    results: dict[str, object] = {}
    if args.baseline:
        env = {**os.environ, "PYTHONPATH": str(args.baseline)}
        command = [sys.executable, __file__, "--db", args.db, "-n", str(args.n), "--pages-only"]
        out = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
        results["baseline"] = json.loads(out.stdout.strip().splitlines()[-1])
    _prepare(url, None, args.opportunities)
    client = _client(url, Path(tempfile.mkdtemp(prefix="tandem-bench-")))
    start = time.perf_counter()
    client.get("/api/v1/analytics/funnel")  # the first request waits for the facts
    results["first_request_s"] = time.perf_counter() - start
    rows = _rows(client, PAGES, args.n)
    if args.pages_only:
        print(json.dumps(rows))
        return
    results["pages"] = rows
    results["registry"] = _registry(client, args.n)
    client.__exit__(None, None, None)
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(json.dumps(results, indent=1, default=str))
    print(f"\nload average at the end: {' '.join(load)}")
    before = {r[0]: r for r in results.get("baseline", [])}
    print("| page | before p50 / p95 ms | registry p50 / p95 ms | CPU p50 ms |")
    print("| --- | ---: | ---: | ---: |")
    for path, p50, p95, cpu in rows + results["registry"]:
        old = before.get(path)
        was = f"{old[1]:.0f} / {old[2]:.0f}" if old else "-"
        print(f"| `{path}` | {was} | {p50:.0f} / {p95:.0f} | {cpu:.0f} |")


if __name__ == "__main__":
    main()
