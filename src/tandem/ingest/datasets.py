"""Loaders for the real data sets in ../shared/data: which file is imported as which kind, in
which order, and the data sets' known traps, handled on purpose and said in the report.

`olist`: MQLs become contacts (stage mql, first touch = origin + landing page); each closed deal
becomes a seller account and a won opportunity of that MQL's contact (SDR and SR ids in the
deal's custom fields; the MQL's first contact date joined for the profile's rule dating the
deal). `maven-crm`: accounts, then the pipeline joined with products (list price for open
deals) and sales teams (the agent, their manager and regional office: the deal's rep, manager
and team).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Step:
    """Import `path` as `kind` with the data set's profile; `notes` go in the job's report."""

    kind: str
    path: Path
    notes: tuple[str, ...] = field(default=())


DATASETS = ("olist", "maven-crm")
OLIST_MQL = "olist_marketing_qualified_leads_dataset.csv"
OLIST_DEALS = "olist_closed_deals_dataset.csv"


def plan(name: str, directory: Path, workdir: Path) -> list[Step]:
    """The import steps for data set `name` found in `directory` (derived files in `workdir`)."""
    if name == "olist":
        return _olist(directory, workdir)
    if name == "maven-crm":
        return _maven(directory, workdir)
    raise ValueError(f"unknown data set {name!r} (data sets: {', '.join(DATASETS)})")


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    if not path.exists():
        raise FileNotFoundError(f"{path} not found")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def _olist(directory: Path, workdir: Path) -> list[Step]:
    header, rows = _read(directory / OLIST_MQL)
    origin = header.index("origin")
    first_contact = {r[0]: r[header.index("first_contact_date")] for r in rows}
    deals_header, deals = _read(directory / OLIST_DEALS)
    workdir.mkdir(parents=True, exist_ok=True)
    joined = workdir / "olist_closed_deals_joined.csv"
    with joined.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*deals_header, "first_contact_date"])
        writer.writerows([*d, first_contact.get(d[0], "")] for d in deals)
    spaced = sum(" " in r[origin] for r in rows)
    snake = (
        f"origin values normalised to snake_case ({spaced} written with spaces in this copy); "
        "'unknown' and empty origins are kept as no first-touch source"
    )
    won_before = (
        "deals won before their first contact keep their won date; the contact's customer "
        "stage change is placed at the first contact (see notes below)"
    )
    return [
        Step(
            "contacts",
            directory / OLIST_MQL,
            (snake, "MQLs have no email: each gets mql-<id>@leads.olist.invalid"),
        ),
        Step(
            "accounts",
            directory / OLIST_DEALS,
            ("one account per seller, the seller's details kept in its custom fields",),
        ),
        Step(
            "opportunities",
            joined,
            (won_before, "SDR and SR ids kept in the deal's custom fields"),
        ),
    ]


def _maven(directory: Path, workdir: Path) -> list[Step]:
    products_header, products = _read(directory / "products.csv")
    teams_header, teams = _read(directory / "sales_teams.csv")
    header, rows = _read(directory / "sales_pipeline.csv")
    # Join on the product name without spaces: the pipeline writes `GTXPro` for `GTX Pro`.
    price = {p[0].replace(" ", ""): p[2] for p in products}
    series = {p[0].replace(" ", ""): p[1] for p in products}
    team = {t[0]: t for t in teams}
    col = {name: i for i, name in enumerate(header)}
    joined, respelled, no_account = [], 0, 0
    for r in rows:
        product = r[col["product"]]
        respelled += product == "GTXPro"
        no_account += not r[col["account"]]
        agent = team.get(r[col["sales_agent"]], ["", "", ""])
        key = product.replace(" ", "")
        joined.append([*r, series.get(key, ""), price.get(key, ""), agent[1], agent[2]])
    workdir.mkdir(parents=True, exist_ok=True)
    target = workdir / "maven_sales_pipeline_joined.csv"
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*header, "series", "list_price", "manager", "regional_office"])
        writer.writerows(joined)
    notes = (
        f"product 'GTXPro' read as 'GTX Pro' ({respelled} rows; a plain join would lose them)",
        f"{no_account} open deals have no account: imported without one",
        f"agents not in sales_teams.csv: {len({r[col['sales_agent']] for r in rows} - set(team))}; "
        f"agents without deals: {len(set(team) - {r[col['sales_agent']] for r in rows})}",
    )
    return [
        Step(
            "accounts",
            directory / "accounts.csv",
            ("sector typo 'technolgy' read as 'technology'; revenue given in millions of USD",),
        ),
        Step("opportunities", target, notes),
    ]
