"""Content analytics over the store: influence, gaps, next best content, the dashboard.

Keyword-only functions, `db_session` first; the maths is in the pure modules (`influence`,
`comparison`, `gaps`, `suggest`), the reads in `frames`. Nothing after `as_of` counts.
"""

from datetime import datetime, timedelta
from decimal import Decimal

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.analytics.frames import Facts
from tandem.attribution import AttributionConfig, default_config
from tandem.attribution.money import from_cents
from tandem.auth.models import Team, User
from tandem.content import comparison, frames, gaps, influence, purge, suggest
from tandem.content.analytics_schemas import (
    BacktestReport,
    Comparison,
    Consumed,
    GapCell,
    GapsReport,
    InfluenceReport,
    InfluenceRow,
    InsightsPage,
    PacketContent,
    SuggestionOut,
    SuggestReport,
    UsageRow,
)
from tandem.engines.attribution import influence_credit
from tandem.errors import DomainError, NotFound

#: Share of won deals (the latest) the backtest holds out.
HOLDOUT = 0.2
#: The dashboard's usage window.
WINDOW_DAYS = 90


def _frames(db_session: Session, facts: Facts, as_of: datetime) -> frames.ContentFrames:
    """The frames as of `as_of`: later consumption, shares and closes do not exist yet."""
    f = frames.load(db_session.connection(), facts)
    deals = f.deals.with_columns(
        pl.when(pl.col("closed_at") <= as_of).then(pl.col("closed_at")).alias("closed_at")
    ).with_columns(
        pl.col("is_closed") & pl.col("closed_at").is_not_null(),
        pl.col("is_won") & pl.col("closed_at").is_not_null(),
    )
    return frames.ContentFrames(
        assets=f.assets,
        consumption=f.consumption.filter(pl.col("occurred_at") <= as_of),
        deals=deals,
        roles=f.roles,
        accounts=f.accounts,
        shares=f.shares.filter(pl.col("created_at") <= as_of),
        contacts=f.contacts,
    )


def _touched(f: frames.ContentFrames) -> pl.DataFrame:
    members = influence.committee(f.roles, f.deals, f.accounts)
    return influence.touches(f.consumption, members, f.deals)


def _titles(f: frames.ContentFrames) -> dict[int, str]:
    return dict(zip(f.assets["asset_id"].to_list(), f.assets["title"].to_list(), strict=True))


def influence_report(
    db_session: Session,
    *,
    facts: Facts,
    as_of: datetime,
    by: str = "asset",
    config: AttributionConfig | None = None,
    limit: int | None = None,
) -> InfluenceReport:
    """Won revenue credited to content under every model, with the with/without comparison."""
    if by not in influence.ROLLUPS:
        raise DomainError(f"--by must be one of {', '.join(influence.ROLLUPS)}, not {by!r}")
    f = _frames(db_session, facts, as_of)
    touched = _touched(f)
    config = config or default_config()
    result = influence.influence(f.deals, touched, config=config, credit=influence_credit(config))
    table = influence.rollup(result, f.assets, by)
    exposure = touched.select("asset_id", "opportunity_id").unique()
    if by != "asset":  # the deals that consumed any asset of the group
        groups = f.assets.select(pl.col("asset_id"), influence._group_key(by)).explode("group")
        codes = {g: i for i, g in enumerate(sorted(set(groups["group"].to_list())))}
        exposure = (
            exposure.join(groups, on="asset_id")
            .select(
                pl.col("group").replace_strict(codes, return_dtype=pl.Int64).alias("asset_id"),
                "opportunity_id",
            )
            .unique()
        )
        table = table.with_columns(
            pl.col(by).replace_strict(codes, default=-1, return_dtype=pl.Int64).alias("_code")
        )
    compared = {
        r["asset_id"]: r
        for r in comparison.compare(comparison.strata(f.deals), exposure).iter_rows(named=True)
    }
    titles = _titles(f)
    won = f.deals.filter(pl.col("is_won")).select("opportunity_id", "amount_cents")
    revenue = _group_revenue(touched, won, f.assets, by)
    rows = []
    for row in table.iter_rows(named=True):
        key = row["asset_id"] if by == "asset" else row[by]
        code = row["asset_id"] if by == "asset" else row["_code"]
        rows.append(
            InfluenceRow(
                key=str(key),
                label=titles.get(key, f"asset {key}") if by == "asset" else str(key),
                asset_id=key if by == "asset" else None,
                closed_deals=revenue.get(key, (0, 0, 0, 0))[0],
                won_deals=revenue.get(key, (0, 0, 0, 0))[1],
                won_revenue=from_cents(revenue.get(key, (0, 0, 0, 0))[2]),
                unknown_amount=revenue.get(key, (0, 0, 0, 0))[3],
                credits={m: from_cents(row[m]) for m in result.models},
                comparison=_comparison(compared.get(code)),
            )
        )
    first = result.models[0] if result.models else None
    rows.sort(key=lambda r: (-(r.credits.get(first, Decimal(0)) if first else 0), r.key))
    return InfluenceReport(
        as_of=as_of,
        by=by,
        models=list(result.models),
        won_deals=result.won_deals,
        credited_deals=result.credited_deals,
        unknown_amount=result.unknown_amount,
        without_content=result.without_content,
        min_deals=comparison.MIN_DEALS,
        rows=rows[:limit] if limit else rows,
    )


def _group_revenue(touched: pl.DataFrame, won: pl.DataFrame, assets: pl.DataFrame, by: str) -> dict:
    """Per group: (closed deals, won deals, known won revenue in cents, won of unknown amount),
    each deal counted once per group."""
    pairs = touched.select("asset_id", "opportunity_id").unique()
    if by == "asset":
        keyed = pairs.rename({"asset_id": "group"})
    else:
        groups = assets.select(pl.col("asset_id"), influence._group_key(by)).explode("group")
        keyed = pairs.join(groups, on="asset_id").select("group", "opportunity_id").unique()
    out = (
        keyed.join(won.with_columns(pl.lit(True).alias("_won")), on="opportunity_id", how="left")
        .group_by("group")
        .agg(
            pl.len().alias("closed"),
            pl.col("_won").fill_null(False).sum().alias("won"),
            pl.col("amount_cents").sum().alias("revenue"),
            (pl.col("_won").fill_null(False) & pl.col("amount_cents").is_null())
            .sum()
            .alias("unknown"),
        )
    )
    return {
        r["group"]: (r["closed"], r["won"], r["revenue"] or 0, r["unknown"])
        for r in out.iter_rows(named=True)
    }


def _comparison(row: dict | None) -> Comparison | None:
    if row is None:
        return None
    return Comparison(**{k: row[k] for k in Comparison.model_fields})


def gaps_report(
    db_session: Session, *, facts: Facts, as_of: datetime, by_product: bool = False
) -> GapsReport:
    """The stage x persona (x product) matrix, costliest missing content first."""
    library = frames.assets(db_session.connection())
    stalled = gaps.stalls(facts.stays, facts.opportunities, as_of)
    matrix = gaps.gap_matrix(library, stalled, by_product=by_product)
    thresholds = (
        f"none 0, thin {gaps.THIN}, covered {gaps.COVERED}-{gaps.CROWDED - 1}, "
        f"crowded {gaps.CROWDED}+ live assets"
    )
    return GapsReport(
        as_of=as_of,
        cells=[GapCell(**r) for r in matrix.iter_rows(named=True)],
        deals_unknown_age=int(stalled["deals_unknown_age"].sum()),
        thresholds=thresholds,
    )


def _model(f: frames.ContentFrames, touched: pl.DataFrame) -> suggest.SequenceModel:
    return suggest.fit(suggest.reading_order(touched, f.deals))


def _consumed(f: frames.ContentFrames, rows: pl.DataFrame) -> list[Consumed]:
    titles = _titles(f)
    grouped = (
        rows.group_by("asset_id")
        .agg(pl.col("occurred_at").min().alias("first_at"), pl.len().alias("times"))
        .sort("first_at", "asset_id")
    )
    return [
        Consumed(
            asset_id=r["asset_id"],
            title=titles.get(r["asset_id"], f"asset {r['asset_id']}"),
            first_at=r["first_at"],
            times=r["times"],
        )
        for r in grouped.iter_rows(named=True)
    ]


def suggest_report(
    db_session: Session,
    *,
    facts: Facts,
    as_of: datetime,
    contact_id: int | None = None,
    deal_id: int | None = None,
) -> SuggestReport:
    """Next best content for a contact (lead) or a deal's buying committee."""
    if (contact_id is None) == (deal_id is None):
        raise DomainError("give exactly one of a contact or a deal")
    f = _frames(db_session, facts, as_of)
    touched = _touched(f)
    if deal_id is not None:
        deal = f.deals.filter(pl.col("opportunity_id") == deal_id)
        if not deal.height:
            raise NotFound(f"no deal {deal_id}")
        segment = deal["segment"][0]
        members = influence.committee(
            f.roles.filter(pl.col("opportunity_id") == deal_id), deal, f.accounts
        )
        rows = f.consumption.join(members.select("contact_id"), on="contact_id")
    else:
        contact = f.contacts.filter(pl.col("contact_id") == contact_id)
        if not contact.height:
            raise NotFound(f"no contact {contact_id}")
        segment = contact["segment"][0]
        rows = f.consumption.filter(pl.col("contact_id") == contact_id)
    seen = _consumed(f, rows)
    return SuggestReport(
        as_of=as_of,
        contact_id=contact_id,
        deal_id=deal_id,
        segment=str(segment),
        seen=seen,
        suggestions=_suggestions(f, touched, [c.asset_id for c in seen], segment),
    )


def _suggestions(
    f: frames.ContentFrames, touched: pl.DataFrame, seen: list[int], segment: str | None
) -> list[SuggestionOut]:
    titles = _titles(f)
    live = f.assets.filter(pl.col("status") == "live")["asset_id"].to_list()
    found = suggest.suggest(_model(f, touched), seen, segment, titles, allowed=live)
    return [
        SuggestionOut(
            asset_id=s.asset_id,
            title=titles.get(s.asset_id, f"asset {s.asset_id}"),
            score=s.score,
            because=s.because,
        )
        for s in found
    ]


def backtest_report(db_session: Session, *, facts: Facts, as_of: datetime) -> BacktestReport:
    """Hit rate at 3 of the suggestions and of "most popular" on the latest won deals."""
    f = _frames(db_session, facts, as_of)
    order = suggest.reading_order(_touched(f), f.deals)
    closes = order.select("opportunity_id", "closed_at").unique()["closed_at"].sort()
    if closes.len() < 2:
        raise DomainError("too few won deals with content to backtest on")
    cut = closes[int(closes.len() * (1 - HOLDOUT))]
    result = suggest.backtest(order, cut)
    return BacktestReport(
        as_of=as_of, **{k: getattr(result, k) for k in BacktestReport.model_fields if k != "as_of"}
    )


def packet_content(
    db_session: Session, *, facts: Facts, contact_id: int, as_of: datetime
) -> PacketContent:
    """For the handoff packet: what the contact consumed and what to send next."""
    report = suggest_report(db_session, facts=facts, as_of=as_of, contact_id=contact_id)
    return PacketContent(
        contact_id=contact_id, consumed=report.seen, suggestions=report.suggestions
    )


def usage(
    f: frames.ContentFrames, users: pl.DataFrame, start: datetime
) -> dict[str, list[UsageRow]]:
    """Shares by rep and team since `start`, the buyers they reached and the buyer views of
    the shared asset after each share; buyer engagement (views, buyers) per asset."""
    shares = f.shares.filter(pl.col("created_at") >= start).join(users, on="user_id", how="left")
    after = (
        shares.select("asset_id", "contact_id", "created_at", "rep", "team")
        .join(
            f.consumption.select("asset_id", "contact_id", "occurred_at"),
            on=["asset_id", "contact_id"],
        )
        .filter(pl.col("occurred_at") >= pl.col("created_at"))
    )
    out = {}
    for key in ("rep", "team"):
        counted = shares.group_by(key).agg(
            pl.len().alias("shares"), pl.col("contact_id").n_unique().alias("contacts")
        )
        views = after.group_by(key).agg(pl.len().alias("views"))
        joined = counted.join(views, on=key, how="left").with_columns(pl.col("views").fill_null(0))
        out[key] = [
            UsageRow(
                key=r[key] or "(nobody)",
                shares=r["shares"],
                contacts=r["contacts"],
                views=r["views"],
            )
            for r in joined.sort("shares", key, descending=[True, False]).iter_rows(named=True)
        ]
    titles = _titles(f)
    engaged = (
        f.consumption.filter(pl.col("occurred_at") >= start)
        .group_by("asset_id")
        .agg(pl.len().alias("views"), pl.col("contact_id").n_unique().alias("contacts"))
        .join(
            f.shares.filter(pl.col("created_at") >= start)
            .group_by("asset_id")
            .agg(pl.len().alias("shares")),
            on="asset_id",
            how="left",
        )
        .sort("views", "asset_id", descending=[True, False])
        .head(20)
    )
    out["asset"] = [
        UsageRow(
            key=titles.get(r["asset_id"], f"asset {r['asset_id']}"),
            shares=r["shares"] or 0,
            contacts=r["contacts"],
            views=r["views"],
        )
        for r in engaged.iter_rows(named=True)
    ]
    return out


def _users(db_session: Session) -> pl.DataFrame:
    rows = db_session.execute(
        select(User.id, User.name, Team.name).outerjoin(Team, User.team_id == Team.id)
    ).all()
    return pl.DataFrame(
        [tuple(r) for r in rows],
        schema={"user_id": pl.Int64, "rep": pl.String, "team": pl.String},
        orient="row",
    )


def insights_page(db_session: Session, *, facts: Facts, as_of: datetime) -> InsightsPage:
    """The content dashboard's view-model."""
    start = as_of - timedelta(days=WINDOW_DAYS)
    f = _frames(db_session, facts, as_of)
    used = usage(f, _users(db_session), start)
    return InsightsPage(
        as_of=as_of,
        window_days=WINDOW_DAYS,
        by_rep=used["rep"],
        by_team=used["team"],
        engagement=used["asset"],
        influence=influence_report(db_session, facts=facts, as_of=as_of, limit=20),
        gaps=gaps_report(db_session, facts=facts, as_of=as_of).cells[:10],
        unused=purge.unused(db_session, as_of=as_of, months=gaps.UNUSED_MONTHS)[:20],
    )
