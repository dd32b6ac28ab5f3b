"""Gap matrix: a planted gap where contacts stall comes first; ratings follow the thresholds."""

from datetime import UTC, datetime, timedelta

import polars as pl

from tandem.content.gaps import gap_matrix, stalls, unused

AS_OF = datetime(2026, 6, 1, tzinfo=UTC)


def _assets(rows):
    return pl.DataFrame(
        [
            {
                "asset_id": i + 1,
                "journey_stage": s,
                "personas": p,
                "products": ["core"],
                "status": st,
            }
            for i, (s, p, st) in enumerate(rows)
        ],
        schema={
            "asset_id": pl.Int64,
            "journey_stage": pl.String,
            "personas": pl.List(pl.String),
            "products": pl.List(pl.String),
            "status": pl.String,
        },
    )


def _stays(rows):
    """rows: (stage, days ago entered, days stayed or None while open)."""
    return pl.DataFrame(
        {
            "contact_id": list(range(len(rows))),
            "stage": [s for s, _, _ in rows],
            "entered_at": [AS_OF - timedelta(days=a) for _, a, _ in rows],
            "days": [float("nan") if d is None else float(d) for _, _, d in rows],
        }
    )


NO_DEALS = pl.DataFrame(
    schema={
        "created_at": pl.Datetime("us", "UTC"),
        "closed_at": pl.Datetime("us", "UTC"),
        "is_closed": pl.Boolean,
        "is_won": pl.Boolean,
    }
)


def test_stalled_contacts_are_open_stays_longer_than_the_median():
    stays = _stays(
        [("mql", 100, 10), ("mql", 100, 20), ("mql", 100, 30)]  # median 20 days
        + [("mql", 25, None)] * 4  # open 25 days: stalled
        + [("mql", 5, None)] * 3  # open 5 days: not yet
        + [("lead", 50, None)] * 2  # no completed lead stay: no median, not judged
    )
    out = {r["journey_stage"]: r for r in stalls(stays, NO_DEALS, AS_OF).iter_rows(named=True)}
    assert out["consideration"]["stalled_contacts"] == 4
    assert out["awareness"]["stalled_contacts"] == 0


def test_stalled_deals_weigh_the_decision_stage_and_unknown_ages_are_counted_apart():
    t = AS_OF - timedelta(days=200)
    deals = pl.DataFrame(
        {
            "created_at": [t, t, AS_OF - timedelta(days=90), AS_OF - timedelta(days=10), None],
            "closed_at": [t + timedelta(days=30), t + timedelta(days=50), None, None, None],
            "is_closed": [True, True, False, False, False],
            "is_won": [True, True, False, False, False],
        },
        schema_overrides={
            "created_at": pl.Datetime("us", "UTC"),
            "closed_at": pl.Datetime("us", "UTC"),
        },
    )
    out = {r["journey_stage"]: r for r in stalls(_stays([]), deals, AS_OF).iter_rows(named=True)}
    assert out["decision"]["stalled_deals"] == 1  # older than the 40-day median cycle
    assert out["decision"]["deals_unknown_age"] == 1


def test_the_planted_gap_costs_most():
    assets = _assets(
        [("awareness", ["cfo"], "live"), ("awareness", ["cto"], "live")]
        + [("consideration", ["cto"], "live")] * 3
        + [("decision", ["cfo"], "live")] * 6
        + [("decision", ["cto"], "live")]
        + [("consideration", ["cfo"], "archived")]  # archived: does not fill the cell
    )
    stays = _stays(
        [("mql", 100, 10)] * 3
        + [("mql", 40, None)] * 50
        + [("lead", 100, 5)]
        + [("lead", 30, None)] * 5
    )
    matrix = gap_matrix(assets, stalls(stays, NO_DEALS, AS_OF))
    top = matrix.row(0, named=True)
    assert (top["journey_stage"], top["persona"], top["rating"], top["live_assets"]) == (
        "consideration",
        "cfo",
        "none",
        0,
    )
    assert top["cost"] == 50.0
    cells = {(r["journey_stage"], r["persona"]): r for r in matrix.iter_rows(named=True)}
    assert cells[("consideration", "cto")]["rating"] == "covered"
    assert cells[("decision", "cfo")]["rating"] == "crowded"
    assert cells[("decision", "cto")]["rating"] == "thin"
    assert cells[("awareness", "cfo")]["cost"] == 0.5 * 5
    assert matrix.height == 5 * 2


def test_by_product_and_per_persona_stalls():
    assets = _assets([("awareness", ["cfo"], "live")])
    stays = _stays([("lead", 100, 5)] * 3 + [("lead", 30, None)] * 4).with_columns(
        persona=pl.Series(["cfo"] * 3 + ["cfo", "cto", "cto", "cto"])
    )
    matrix = gap_matrix(assets, stalls(stays, NO_DEALS, AS_OF), by_product=True)
    cells = {
        (r["journey_stage"], r["persona"], r["product"]): r for r in matrix.iter_rows(named=True)
    }
    assert cells[("awareness", "cto", "core")]["stalled_contacts"] == 3
    assert cells[("awareness", "cto", "core")]["cost"] == 3.0
    assert cells[("awareness", "cfo", "core")]["cost"] == 0.5


def test_unused_gives_each_reason():
    from datetime import date

    assets = _assets(
        [("awareness", [], "live")] * 5 + [("awareness", [], "archived")]
    ).with_columns(
        expires_on=pl.Series([None, None, None, date(2026, 1, 1), None, None], dtype=pl.Date)
    )
    old, recent = AS_OF - timedelta(days=400), AS_OF - timedelta(days=5)
    views = pl.DataFrame(
        {"asset_id": [1, 2, 3, 4, 6], "occurred_at": [recent, old, old, recent, old]}
    )
    shares = pl.DataFrame({"asset_id": [1, 2, 3, 4]})
    uses = pl.DataFrame({"asset_id": [3], "created_at": [recent]})
    out = {
        r["asset_id"]: r["reasons"]
        for r in unused(assets, views, shares, uses, AS_OF).iter_rows(named=True)
    }
    # 1: viewed and shared lately; 3: old views but used in a deal lately; 6: archived.
    assert out == {2: ["no_recent_use"], 4: ["expired"], 5: ["never_shared", "never_viewed"]}
