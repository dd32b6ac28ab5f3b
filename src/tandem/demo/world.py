"""The fixed part of the demo world: campaigns, content and accounts."""

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl

from tandem.demo import catalog
from tandem.demo.spec import US_PER_DAY, DemoSpec, pick

# Expected contacts per account by employee band (bigger companies, bigger committees).
_CONTACTS_PER_BAND = np.array([1.0, 2.0, 4.0, 7.0, 10.0, 14.0])
_BAND_SHARE = np.array([0.12, 0.25, 0.27, 0.2, 0.1, 0.06])


@dataclass(frozen=True)
class World:
    """Campaigns, assets and accounts (with each account's contact count and latent fit)."""

    campaigns: pl.DataFrame
    assets: pl.DataFrame
    accounts: pl.DataFrame
    account_fit: np.ndarray
    contacts_per_account: np.ndarray


def _us(values: np.ndarray) -> pl.Series:
    return pl.Series(values.astype(np.int64)).cast(pl.Datetime("us", "UTC"))


def build_campaigns(spec: DemoSpec) -> pl.DataFrame:
    """About 40 campaigns over a dozen channels, spread across the demo period, with costs."""
    rng = spec.rng(1)
    rows = []
    for channel, count, (low, high), _share in catalog.CHANNEL_MIX:
        for k in range(count):
            start = spec.start_us + int(rng.random() * 0.85 * (spec.as_of_us - spec.start_us))
            length = int(rng.integers(30, 240)) * US_PER_DAY
            theme = catalog.CAMPAIGN_THEMES[int(rng.integers(len(catalog.CAMPAIGN_THEMES)))]
            start_date = datetime.fromtimestamp(start / 1e6, UTC).date()
            rows.append(
                {
                    "name": f"{theme} · {channel.value.replace('_', ' ')} #{k + 1}",
                    "channel": channel.value,
                    "type": "always_on"
                    if channel.value in {"organic_search", "direct"}
                    else "programme",
                    "start_on": start_date,
                    "end_on": datetime.fromtimestamp((start + length) / 1e6, UTC).date(),
                    "cost": float(round(rng.uniform(low, high), -2)),
                }
            )
    frame = pl.DataFrame(rows).with_row_index("id", offset=1)
    return frame.with_columns(pl.col("id").cast(pl.Int64))


def build_assets(spec: DemoSpec | None = None) -> pl.DataFrame:
    """The content library, tagged by journey stage, persona, buying roles and product, with
    publication dates across the demo history; a few assets are past their expiry date."""
    start = datetime.fromtimestamp((spec.start_us if spec else 0) / 1e6, UTC).date()
    as_of = datetime.fromtimestamp((spec.as_of_us if spec else 0) / 1e6, UTC).date()
    rows = [
        {
            "title": title,
            "type": kind,
            "journey_stage": stage,
            "personas": json.dumps([persona]),
            "buying_roles": json.dumps(list(catalog.ROLES_OF_PERSONA.get(persona, ()))),
            "products": json.dumps([catalog.PRODUCT_LINES[i % len(catalog.PRODUCT_LINES)]]),
            "url": "https://www.tandem-demo.example/resources/"
            + "".join(ch if ch.isalnum() else "-" for ch in title.lower()).strip("-"),
            "published_on": start + timedelta(days=11 * i),
            # Pricing and benchmark pages age: these expired before the demo's today.
            "expires_on": as_of - timedelta(days=20 + i) if i in catalog.EXPIRED_ASSETS else None,
        }
        for i, (title, kind, stage, persona) in enumerate(catalog.ASSETS)
    ]
    return (
        pl.DataFrame(rows).with_row_index("id", offset=1).with_columns(pl.col("id").cast(pl.Int64))
    )


def _contact_counts(spec: DemoSpec, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    upper = spec.contacts // 2 + 10
    bands = pick(rng, _BAND_SHARE, upper)
    counts = 1 + rng.poisson(_CONTACTS_PER_BAND[bands] - 1 + 0.5)
    total = np.cumsum(counts)
    n_accounts = int(np.searchsorted(total, spec.contacts) + 1)
    counts = counts[:n_accounts].copy()
    counts[-1] -= int(total[n_accounts - 1] - spec.contacts)
    return bands[:n_accounts], counts


def build_accounts(spec: DemoSpec) -> tuple[pl.DataFrame, np.ndarray, np.ndarray]:
    """Accounts with firmographics; returns the frame, latent fit and contacts per account."""
    rng = spec.rng(2)
    bands, counts = _contact_counts(spec, rng)
    n = len(counts)
    industry_w = np.array([w for _, w in catalog.INDUSTRIES])
    industries = rng.integers(0, len(catalog.INDUSTRIES), n)
    band_fit = np.array([b[2] for b in catalog.EMPLOYEE_BANDS])
    fit = industry_w[industries] * band_fit[bands] * rng.uniform(0.6, 1.0, n)
    region = pick(rng, np.array([r[2] for r in catalog.REGIONS]), n)
    country = np.array(
        [
            catalog.REGIONS[r][1][int(u * len(catalog.REGIONS[r][1]))]
            for r, u in zip(region, rng.random(n), strict=True)
        ]
    )
    employees = (
        np.array([b[1] for b in catalog.EMPLOYEE_BANDS])[bands] * rng.lognormal(0, 0.35, n)
    ).astype(np.int64) + 1
    is_target = fit >= np.quantile(fit, 0.92)
    tier = np.where(
        fit >= np.quantile(fit, 0.98), "1", np.where(fit >= np.quantile(fit, 0.95), "2", "3")
    )
    ids = np.arange(1, n + 1)
    w1 = rng.integers(0, len(catalog.COMPANY_WORDS), n)
    w2 = rng.integers(0, len(catalog.COMPANY_WORDS), n)
    suffix = rng.integers(0, len(catalog.COMPANY_SUFFIXES), n)
    words = np.array(catalog.COMPANY_WORDS)
    suffixes = np.array(catalog.COMPANY_SUFFIXES)
    names = pl.Series(words[w1]) + " " + pl.Series(words[w2]) + " " + pl.Series(suffixes[suffix])
    created = (
        spec.start_us
        - int(90 * US_PER_DAY)
        + (rng.random(n) * (spec.as_of_us - spec.start_us) * 0.7).astype(np.int64)
    )
    reps = np.array(spec.rep_ids)
    owner = np.where(is_target | (rng.random(n) < 0.15), reps[ids % len(reps)], -1)
    frame = pl.DataFrame(
        {
            "id": ids,
            "domain": pl.Series(words[w1]).str.to_lowercase()
            + pl.Series(ids.astype(str))
            + ".example.com",
            "name": names,
            "industry": np.array([i for i, _ in catalog.INDUSTRIES])[industries],
            "employee_band": np.array([b[0] for b in catalog.EMPLOYEE_BANDS])[bands],
            "employees": employees,
            "region": np.array([r[0] for r in catalog.REGIONS])[region],
            "country": country,
            "annual_revenue": np.round(employees * rng.lognormal(np.log(180_000), 0.4, n), -3),
            "owner_id": pl.Series(owner).replace(-1, None),
            "is_target": is_target,
            "tier": pl.Series(tier).zip_with(
                pl.Series(is_target), pl.Series([None] * n, dtype=pl.String)
            ),
            "created_at": _us(created),
            "updated_at": _us(created),
        }
    )
    return frame, fit, counts


def build_world(spec: DemoSpec) -> World:
    """Everything that is generated once, before the per-chunk contacts and activities."""
    accounts, fit, counts = build_accounts(spec)
    return World(build_campaigns(spec), build_assets(spec), accounts, fit, counts)
