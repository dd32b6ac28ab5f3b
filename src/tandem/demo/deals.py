"""Opportunities, their contact roles and post-sale product usage for one chunk.

An account gets a new-business deal when one of its contacts reaches the opportunity stage.
Deals close after a cycle that grows with company size; won customers may later buy an upsell
and come up for renewal, and they report monthly product usage.
"""

from dataclasses import dataclass

import numpy as np
import polars as pl

from tandem.demo import catalog
from tandem.demo.journeys import NONE, Journeys
from tandem.demo.spec import US_PER_DAY, DemoSpec
from tandem.demo.world import World
from tandem.opportunities.stages import LOST_REASONS

_OPEN_STAGES = np.array(["discovery", "qualification", "proposal", "negotiation"])
_SEGMENTS = np.array(["smb", "smb", "mid_market", "mid_market", "enterprise", "enterprise"])
_BAND_INDEX = {b[0]: i for i, b in enumerate(catalog.EMPLOYEE_BANDS)}
_DEAL_MULT = np.array([b[3] for b in catalog.EMPLOYEE_BANDS])


@dataclass(frozen=True)
class Deals:
    """Frames for the opportunities and usage tables, plus each new deal's close and outcome."""

    opportunities: pl.DataFrame
    usage: pl.DataFrame
    close_of_new: dict[int, tuple[int, bool]]  # account_idx -> (closed_at us or NONE, won)


def _outcomes(
    rng: np.random.Generator,
    created: np.ndarray,
    fit: np.ndarray,
    band: np.ndarray,
    base_win: float,
    cycle_days: float,
    amount_base: np.ndarray,
    as_of: int,
) -> dict[str, np.ndarray]:
    n = len(created)
    cycle = (rng.lognormal(np.log(cycle_days), 0.5, n) * (1 + 0.15 * band) * US_PER_DAY).astype(
        np.int64
    )
    close = created + cycle
    closed = close <= as_of
    won = closed & (rng.random(n) < np.clip(base_win + 0.35 * fit, 0, 0.95))
    progress = np.clip((as_of - created) / np.maximum(cycle, 1), 0, 0.999)
    stage = np.where(
        won, "closed_won", np.where(closed, "closed_lost", _OPEN_STAGES[(progress * 4).astype(int)])
    )
    amount = np.round(amount_base * rng.lognormal(0, 0.45, n), -2)
    lost = np.array(LOST_REASONS)[rng.integers(0, len(LOST_REASONS), n)]
    return {
        "created": created,
        "close": close,
        "closed": closed,
        "won": won,
        "stage": stage,
        "amount": amount,
        "lost_reason": np.where(closed & ~won, lost, None),
    }


def build_deals(
    spec: DemoSpec, world: World, chunk: int, j: Journeys, arrival_names: np.ndarray
) -> Deals:
    """Deals for every account of the chunk that produced an opportunity-stage contact."""
    rng = spec.rng(20, chunk)
    mask = j.opp_at != NONE
    firsts = (
        pl.DataFrame(
            {
                "acc": j.account_idx[mask],
                "at": j.opp_at[mask],
                "cid": j.contact_id[mask],
                "src": arrival_names[mask],
                "owner": j.owner_id[mask],
            }
        )
        .sort("at")
        .group_by("acc", maintain_order=True)
        .first()
        .sort("acc")
    )
    acc = firsts["acc"].to_numpy()
    accounts = world.accounts
    band = np.array(
        [_BAND_INDEX[b] for b in accounts["employee_band"].to_numpy()[acc]], dtype=np.int64
    )
    fit = world.account_fit[acc]
    new = _outcomes(
        rng, firsts["at"].to_numpy(), fit, band, 0.18, 55, 9_000 * _DEAL_MULT[band], spec.as_of_us
    )
    parts = [
        (
            acc,
            new,
            "new",
            firsts["cid"].to_numpy(),
            firsts["owner"].to_numpy(),
            firsts["src"].to_numpy(),
        )
    ]

    won_idx = np.flatnonzero(new["won"])
    upsell_at = new["close"][won_idx] + (rng.uniform(90, 300, len(won_idx)) * US_PER_DAY).astype(
        np.int64
    )
    up = won_idx[(upsell_at <= spec.as_of_us) & (rng.random(len(won_idx)) < 0.3)]
    if len(up):
        created = new["close"][up] + (rng.uniform(90, 300, len(up)) * US_PER_DAY).astype(np.int64)
        created = np.minimum(created, spec.as_of_us - US_PER_DAY)
        out = _outcomes(
            rng, created, fit[up], band[up], 0.45, 30, 0.4 * new["amount"][up], spec.as_of_us
        )
        parts.append(
            (
                acc[up],
                out,
                "upsell",
                firsts["cid"].to_numpy()[up],
                firsts["owner"].to_numpy()[up],
                np.full(len(up), "expansion"),
            )
        )
    renew = won_idx[new["close"][won_idx] + 335 * US_PER_DAY <= spec.as_of_us]
    if len(renew):
        created = new["close"][renew] + 335 * US_PER_DAY
        out = _outcomes(
            rng, created, fit[renew], band[renew], 0.75, 25, new["amount"][renew], spec.as_of_us
        )
        parts.append(
            (
                acc[renew],
                out,
                "renewal",
                firsts["cid"].to_numpy()[renew],
                firsts["owner"].to_numpy()[renew],
                np.full(len(renew), "renewal"),
            )
        )

    frames = []
    for acc_idx, o, deal_type, primary, owner, source in parts:
        b = np.array(
            [_BAND_INDEX[x] for x in accounts["employee_band"].to_numpy()[acc_idx]], dtype=np.int64
        )
        names = accounts["name"].to_numpy()[acc_idx]
        product = np.array(catalog.PRODUCT_LINES)[
            rng.integers(0, len(catalog.PRODUCT_LINES), len(acc_idx))
        ]
        frames.append(
            pl.DataFrame(
                {
                    "name": pl.Series(names) + f" · {deal_type}",
                    "account_id": acc_idx + 1,
                    "primary_contact_id": primary,
                    "stage": o["stage"],
                    "amount": o["amount"],
                    "created_at": pl.Series(o["created"]).cast(pl.Datetime("us", "UTC")),
                    "expected_close_on": pl.Series(o["close"])
                    .cast(pl.Datetime("us", "UTC"))
                    .dt.date(),
                    "closed_at": pl.Series(np.where(o["closed"], o["close"], NONE))
                    .replace(NONE, None)
                    .cast(pl.Datetime("us", "UTC")),
                    "is_closed": o["closed"],
                    "is_won": o["won"],
                    "lost_reason": pl.Series(o["lost_reason"].tolist(), dtype=pl.String),
                    "product_line": product,
                    "deal_type": deal_type,
                    "segment": _SEGMENTS[b],
                    "region": accounts["region"].to_numpy()[acc_idx],
                    "vertical": accounts["industry"].to_numpy()[acc_idx],
                    "owner_id": pl.Series(owner).replace(NONE, None),
                    "source": source,
                }
            )
        )
    opportunities = pl.concat(frames).sort("created_at") if frames else pl.DataFrame()
    close_of_new = {
        int(a): (int(c) if cl else NONE, bool(w))
        for a, c, cl, w in zip(acc, new["close"], new["closed"], new["won"], strict=True)
    }
    return Deals(
        opportunities,
        _usage(spec, rng, world, acc[new["won"]], new["close"][new["won"]]),
        close_of_new,
    )


def contact_roles(
    opportunities: pl.DataFrame, contacts: pl.DataFrame, mql_at: np.ndarray
) -> pl.DataFrame:
    """Buying-committee roles on each deal: the primary contact plus engaged senior contacts."""
    committee = contacts.select(
        pl.col("id").alias("contact_id"),
        "account_id",
        pl.col("buying_role").alias("role"),
        pl.Series("engaged", mql_at != NONE),
    ).filter(
        pl.col("engaged")
        & pl.col("role").is_in(["decision_maker", "champion", "influencer", "recommender"])
    )
    joined = opportunities.select(
        pl.col("id").alias("opportunity_id"), "account_id", "primary_contact_id"
    ).join(committee, on="account_id")
    joined = joined.with_columns(is_primary=pl.col("contact_id") == pl.col("primary_contact_id"))
    primaries = opportunities.select(
        pl.col("id").alias("opportunity_id"), pl.col("primary_contact_id").alias("contact_id")
    ).join(
        contacts.select(pl.col("id").alias("contact_id"), pl.col("buying_role").alias("role")),
        on="contact_id",
    )
    primaries = primaries.with_columns(is_primary=pl.lit(True))
    others = (
        joined.filter(~pl.col("is_primary"))
        .sort("opportunity_id", "contact_id")
        .group_by("opportunity_id", maintain_order=True)
        .head(4)
        .select("opportunity_id", "contact_id", "role", "is_primary")
    )
    return pl.concat(
        [primaries.select("opportunity_id", "contact_id", "role", "is_primary"), others]
    ).sort("opportunity_id", "contact_id")


def _usage(
    spec: DemoSpec, rng: np.random.Generator, world: World, acc: np.ndarray, since: np.ndarray
) -> pl.DataFrame:
    """Monthly usage per won account: seats, logins and reports, with a per-account trend."""
    months = np.maximum((spec.as_of_us - since) // (30 * US_PER_DAY), 0).astype(np.int64)
    if months.sum() == 0:
        return pl.DataFrame()
    rows_acc = np.repeat(acc, months)
    k = np.concatenate([np.arange(m) for m in months])
    start = np.repeat(since, months) + k * 30 * US_PER_DAY
    employees = world.accounts["employees"].to_numpy()[rows_acc]
    trend = np.repeat(rng.normal(0.0, 0.06, len(acc)), months)
    base = np.maximum(employees * 0.05, 3) * np.exp(trend * k) * rng.lognormal(0, 0.1, len(k))
    period = pl.Series(start).cast(pl.Datetime("us", "UTC")).dt.date().dt.month_start()
    frames = [
        pl.DataFrame(
            {
                "account_id": rows_acc + 1,
                "metric": metric,
                "value": np.round(base * mult, 1),
                "period_start": period,
                "period": "month",
            }
        )
        for metric, mult in (("active_users", 1.0), ("logins", 14.0), ("reports_run", 3.5))
    ]
    return pl.concat(frames).unique(
        ["account_id", "metric", "period_start"], keep="first", maintain_order=True
    )
