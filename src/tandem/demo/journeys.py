"""Contacts and their lifecycle journeys for one chunk of accounts.

A contact's chance to move down the funnel rises with fit (account firmographics times job
level) and engagement; each move happens an exponential wait after the previous one and only
if it falls before the demo clock. The journey is returned as per-stage timestamps (or -1).
"""

from dataclasses import dataclass

import numpy as np
import polars as pl

from tandem.demo import catalog
from tandem.demo.spec import US_PER_DAY, DemoSpec, pick
from tandem.demo.world import World

NONE = -1
REJECT_REASONS = ("bad_fit", "no_budget", "no_authority", "no_need", "bad_timing", "unreachable")


@dataclass(frozen=True)
class Journeys:
    """Per-contact arrays for one chunk (index i = contact i of the chunk)."""

    contact_id: np.ndarray
    account_idx: np.ndarray  # index into World.accounts
    fit: np.ndarray
    engagement: np.ndarray
    arrival_channel: np.ndarray  # index into catalog.CHANNEL_MIX
    subscriber_at: np.ndarray
    lead_at: np.ndarray
    mql_at: np.ndarray
    sal_at: np.ndarray
    rejected_at: np.ndarray
    sql_at: np.ndarray
    recycled_at: np.ndarray  # SAL -> nurture/disqualified
    opp_at: np.ndarray
    owner_id: np.ndarray
    frame: pl.DataFrame  # contact columns except first-touch and final stage


def _step(
    rng: np.random.Generator, prev: np.ndarray, p: np.ndarray, mean_days: float, as_of: int
) -> np.ndarray:
    wait = (rng.exponential(mean_days, len(prev)) * US_PER_DAY).astype(np.int64) + 3_600_000_000
    at = prev + wait
    ok = (prev != NONE) & (rng.random(len(prev)) < p) & (at <= as_of)
    return np.where(ok, at, NONE)


def _choose_per_level(rng: np.random.Generator, level: np.ndarray, column: int) -> np.ndarray:
    """For each contact, a uniform choice among its job level's options (roles or titles)."""
    options = [lv[column] for lv in catalog.JOB_LEVELS]
    width = max(len(o) for o in options)
    table = np.array([list(o) + [o[-1]] * (width - len(o)) for o in options])
    sizes = np.array([len(o) for o in options])
    return table[level, (rng.random(len(level)) * sizes[level]).astype(np.int64)]


def build_journeys(
    spec: DemoSpec, world: World, chunk: int, first_account: int, last_account: int
) -> Journeys:
    """Contacts of accounts [first_account, last_account) with their funnel timestamps."""
    rng = spec.rng(10, chunk)
    counts = world.contacts_per_account[first_account:last_account]
    n = int(counts.sum())
    first_id = int(world.contacts_per_account[:first_account].sum()) + 1
    contact_id = np.arange(first_id, first_id + n)
    account_idx = np.repeat(np.arange(first_account, last_account), counts)
    accounts = world.accounts.slice(first_account, last_account - first_account)

    level = pick(rng, np.array([lv[1] for lv in catalog.JOB_LEVELS]), n)
    level_fit = np.array([lv[2] for lv in catalog.JOB_LEVELS])[level]
    fit = np.clip(world.account_fit[account_idx] * (0.4 + 0.6 * level_fit), 0, 1)
    engagement = rng.lognormal(0, 0.6, n)
    quality = np.clip(0.65 * fit + 0.35 * np.minimum(engagement / 2, 1), 0, 1)
    arrival = pick(rng, np.array([c[3] for c in catalog.CHANNEL_MIX]), n)

    acc_created = world.accounts["created_at"].dt.epoch("us").to_numpy()[account_idx]
    window = np.maximum(spec.as_of_us - acc_created - US_PER_DAY, US_PER_DAY)
    created = acc_created + (rng.random(n) ** 0.8 * window).astype(np.int64)
    is_subscriber = rng.random(n) < 0.12
    subscriber_at = np.where(is_subscriber, created, NONE)
    lead_at = np.where(
        is_subscriber, _step(rng, created, np.full(n, 0.6), 30, spec.as_of_us), created
    )
    mql_at = _step(rng, lead_at, 0.06 + 0.6 * quality, 25, spec.as_of_us)
    accepted = rng.random(n) < 0.5 + 0.4 * fit
    sal_at = _step(rng, mql_at, accepted.astype(float), 1.5, spec.as_of_us)
    rejected_at = _step(rng, mql_at, (~accepted).astype(float) * 0.95, 2.0, spec.as_of_us)
    sql_at = _step(rng, sal_at, 0.3 + 0.55 * fit, 10, spec.as_of_us)
    recycled_at = np.where(
        sql_at == NONE, _step(rng, sal_at, np.full(n, 0.7), 20, spec.as_of_us), NONE
    )
    opp_at = _step(rng, sql_at, np.full(n, 0.7), 12, spec.as_of_us)

    reps = np.array(spec.rep_ids)
    acc_owner = accounts["owner_id"].fill_null(-1).to_numpy()[account_idx - first_account]
    fallback = reps[(account_idx * 7 + 3) % len(reps)]
    owner = np.where(acc_owner >= 0, acc_owner, fallback)
    has_owner = (
        (sal_at != NONE) | (rejected_at != NONE) | ((mql_at != NONE) & (rng.random(n) < 0.6))
    )
    owner = np.where(has_owner, owner, NONE)

    roles = _choose_per_level(rng, level, 3)
    titles = _choose_per_level(rng, level, 4)
    first = pl.Series(catalog.FIRST_NAMES).gather(rng.integers(0, len(catalog.FIRST_NAMES), n))
    last = pl.Series(catalog.LAST_NAMES).gather(rng.integers(0, len(catalog.LAST_NAMES), n))
    domains = accounts["domain"].to_numpy()[account_idx - first_account]
    emails = (
        pl.Series(first).str.to_lowercase()
        + "."
        + pl.Series(last).str.to_lowercase()
        + pl.Series(contact_id.astype(str))
        + "@"
        + pl.Series(domains)
    )
    level_names = np.array([lv[0] for lv in catalog.JOB_LEVELS])[level]
    authority = np.where(level <= 1, "decision_maker", np.where(level <= 3, "influencer", "none"))
    authority = np.where(rng.random(n) < 0.25, "unknown", authority)
    need = np.array(["high", "medium", "low", "unknown"])[
        pick(rng, np.array([0.2, 0.3, 0.2, 0.3]) + 0, n)
    ]
    need = np.where((fit > 0.6) & (need == "low"), "high", need)
    timeline = np.array(["0-3m", "3-6m", "6-12m", "12m+", "unknown"])[
        pick(rng, np.array([0.12, 0.18, 0.2, 0.15, 0.35]), n)
    ]
    budget = np.where(
        rng.random(n) < 0.3, np.round(rng.lognormal(np.log(25_000), 0.8, n), -2), np.nan
    )
    countries = accounts["country"].to_numpy()[account_idx - first_account]
    frame = pl.DataFrame(
        {
            "id": contact_id,
            "email": emails,
            "first_name": first,
            "last_name": last,
            "title": titles,
            "job_level": level_names,
            "country": countries,
            "account_id": account_idx + 1,
            "buying_role": roles,
            "budget": pl.Series(budget).fill_nan(None),
            "authority": authority,
            "need": need,
            "timeline": timeline,
            "owner_id": pl.Series(owner).replace(NONE, None),
            "created_at": pl.Series(created).cast(pl.Datetime("us", "UTC")),
            "updated_at": pl.Series(created).cast(pl.Datetime("us", "UTC")),
        }
    )
    return Journeys(
        contact_id,
        account_idx,
        fit,
        engagement,
        arrival,
        subscriber_at,
        lead_at,
        mql_at,
        sal_at,
        rejected_at,
        sql_at,
        recycled_at,
        opp_at,
        owner,
        frame,
    )
