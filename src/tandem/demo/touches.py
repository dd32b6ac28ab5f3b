"""Activities for one chunk: each contact's touches, whose mix follows their funnel phase.

Before MQL a contact mostly browses, opens emails and reads awareness content; between MQL and
acceptance they download consideration content and attend webinars; once sales accepts, sales
emails, calls and meetings join in, with decision-stage content.
"""

import numpy as np
import polars as pl

from tandem.activities.channels import Channel
from tandem.demo import catalog
from tandem.demo.journeys import NONE, Journeys
from tandem.demo.spec import DemoSpec, pick, pick_rows
from tandem.demo.world import World

TYPES = (
    "web_visit",
    "page_view",
    "email_open",
    "email_click",
    "ad_click",
    "social_engage",
    "content_download",
    "form_submit",
    "webinar_register",
    "webinar_attend",
    "event_attend",
    "demo_request",
    "sales_email",
    "sales_call",
    "meeting",
    "email_unsubscribe",
)
#: Type weights per phase: before MQL, MQL until accepted, after acceptance.
PHASE_MIX = np.array(
    [
        [25, 25, 18, 8, 6, 5, 7, 2, 2, 1, 1, 0.2, 0, 0, 0, 0.4],
        [15, 20, 12, 8, 4, 3, 15, 3, 6, 5, 2, 4, 3, 0, 0, 0.2],
        [8, 12, 8, 4, 1, 2, 8, 1, 2, 3, 2, 2, 25, 15, 12, 0.1],
    ],
    dtype=np.float64,
)
#: Channels a type comes through, with weights.
TYPE_CHANNELS: dict[str, tuple[tuple[Channel, float], ...]] = {
    "web_visit": (
        (Channel.ORGANIC_SEARCH, 5),
        (Channel.DIRECT, 3),
        (Channel.REFERRAL, 1),
        (Channel.PAID_SEARCH, 1),
    ),
    "page_view": ((Channel.DIRECT, 6), (Channel.ORGANIC_SEARCH, 3), (Channel.REFERRAL, 1)),
    "email_open": ((Channel.EMAIL, 1),),
    "email_click": ((Channel.EMAIL, 1),),
    "email_unsubscribe": ((Channel.EMAIL, 1),),
    "ad_click": ((Channel.PAID_SEARCH, 4), (Channel.PAID_SOCIAL, 3), (Channel.DISPLAY, 2)),
    "social_engage": ((Channel.ORGANIC_SOCIAL, 2), (Channel.PAID_SOCIAL, 1)),
    "content_download": (
        (Channel.ORGANIC_SEARCH, 3),
        (Channel.CONTENT_SYNDICATION, 1),
        (Channel.EMAIL, 1),
        (Channel.PARTNER, 0.3),
    ),
    "form_submit": ((Channel.DIRECT, 2), (Channel.ORGANIC_SEARCH, 1)),
    "webinar_register": ((Channel.WEBINAR, 1),),
    "webinar_attend": ((Channel.WEBINAR, 1),),
    "event_attend": ((Channel.EVENTS, 1),),
    "demo_request": ((Channel.DIRECT, 2), (Channel.PAID_SEARCH, 1)),
    "sales_email": ((Channel.SALES_OUTREACH, 1),),
    "sales_call": ((Channel.SALES_OUTREACH, 1),),
    "meeting": ((Channel.SALES_OUTREACH, 1),),
}
#: The first touch of a contact, by arrival channel.
ARRIVAL_TYPE = {
    Channel.ORGANIC_SEARCH: "web_visit",
    Channel.PAID_SEARCH: "ad_click",
    Channel.PAID_SOCIAL: "ad_click",
    Channel.ORGANIC_SOCIAL: "social_engage",
    Channel.EMAIL: "email_click",
    Channel.DISPLAY: "ad_click",
    Channel.EVENTS: "event_attend",
    Channel.WEBINAR: "webinar_register",
    Channel.REFERRAL: "web_visit",
    Channel.DIRECT: "web_visit",
    Channel.CONTENT_SYNDICATION: "content_download",
    Channel.PARTNER: "form_submit",
}
_ASSET_TYPES = {"content_download", "webinar_attend", "sales_email"}
_URL_TYPES = {"web_visit", "page_view", "form_submit", "demo_request"}
CHANNELS = tuple(Channel)


def _campaign_table(world: World) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Campaign ids grouped by channel: (ids sorted by channel, start offset, count) per channel."""
    channel_pos = {c.value: i for i, c in enumerate(CHANNELS)}
    camp = world.campaigns.with_columns(pos=pl.col("channel").replace_strict(channel_pos)).sort(
        "pos", "id"
    )
    pos = camp["pos"].to_numpy()
    counts = np.bincount(pos, minlength=len(CHANNELS))
    return camp["id"].to_numpy(), np.concatenate([[0], np.cumsum(counts)[:-1]]), counts


def _pick_campaign(rng: np.random.Generator, world: World, channel: np.ndarray) -> np.ndarray:
    ids, start, count = _campaign_table(world)
    n_for = count[channel]
    choice = start[channel] + (rng.random(len(channel)) * np.maximum(n_for, 1)).astype(np.int64)
    # Organic search and direct touches carry no campaign most of the time.
    untracked = np.isin(
        channel,
        [
            CHANNELS.index(Channel.DIRECT),
            CHANNELS.index(Channel.ORGANIC_SEARCH),
            CHANNELS.index(Channel.SALES_OUTREACH),
        ],
    ) & (rng.random(len(channel)) < 0.8)
    return np.where((n_for > 0) & ~untracked, ids[np.minimum(choice, len(ids) - 1)], NONE)


def build_touches(
    spec: DemoSpec, world: World, chunk: int, j: Journeys, end_at: np.ndarray
) -> pl.DataFrame:
    """All activities of the chunk's contacts, sorted by contact then time (ids not yet set)."""
    rng = spec.rng(30, chunk)
    n = len(j.contact_id)
    reach = (j.mql_at != NONE).astype(float) + (j.sal_at != NONE) + (j.opp_at != NONE)
    weight = j.engagement * (1 + 0.8 * reach)
    lam = np.maximum(spec.activities_per_contact - 1, 0) * weight / weight.mean()
    counts = rng.poisson(lam)
    idx = np.repeat(np.arange(n), counts)
    start = j.lead_at.copy()
    start = np.where(start == NONE, j.subscriber_at, start)
    span = np.maximum(end_at - start, 60_000_000)
    at = start[idx] + (rng.random(len(idx)) * span[idx]).astype(np.int64)
    mql, sal = j.mql_at[idx], j.sal_at[idx]
    phase = np.where((sal != NONE) & (at >= sal), 2, np.where((mql != NONE) & (at >= mql), 1, 0))
    types = pick_rows(rng, PHASE_MIX, phase)

    arrival_types = np.array(
        [
            TYPES.index(ARRIVAL_TYPE[catalog.CHANNEL_MIX[a][0]])
            for a in range(len(catalog.CHANNEL_MIX))
        ]
    )
    arrival_channel = np.array([CHANNELS.index(c[0]) for c in catalog.CHANNEL_MIX])
    all_idx = np.concatenate([np.arange(n), idx])
    all_at = np.concatenate([start, at])
    all_types = np.concatenate([arrival_types[j.arrival_channel], types])
    all_phase = np.concatenate([np.zeros(n, np.int64), phase])

    channel = np.empty(len(all_idx), np.int64)
    channel[:n] = arrival_channel[j.arrival_channel]
    for t, name in enumerate(TYPES):
        sel = np.flatnonzero(all_types[n:] == t) + n
        options = TYPE_CHANNELS[name]
        chosen = pick(rng, np.array([w for _, w in options]), len(sel))
        channel[sel] = np.array([CHANNELS.index(c) for c, _ in options])[chosen]
    campaign = _pick_campaign(rng, world, channel)

    # Work on integer codes; strings are made once, in Polars, when the frame is built
    # (numpy unicode arrays are slow to create, compare and hand over).
    def is_type(*names: str) -> np.ndarray:
        return np.isin(all_types, [TYPES.index(name) for name in names])

    assets = world.assets
    stage_of = {"awareness": 0, "consideration": 1, "decision": 2}
    asset_stage = assets["journey_stage"].replace_strict(stage_of).to_numpy()
    by_stage = [assets["id"].to_numpy()[asset_stage == s] for s in range(3)]
    wants_asset = is_type(*_ASSET_TYPES) & ~(
        is_type("sales_email") & (rng.random(len(all_idx)) < 0.7)
    )
    stage_pick = np.clip(all_phase + pick(rng, np.array([0.15, 0.7, 0.15]), len(all_idx)) - 1, 0, 2)
    asset = np.full(len(all_idx), NONE)
    for s in range(3):
        sel = wants_asset & (stage_pick == s)
        asset[sel] = by_stage[s][rng.integers(0, len(by_stage[s]), sel.sum())]
    asset_url = pl.Series([None, *assets["url"].to_list()], dtype=pl.String).gather(
        np.maximum(asset, 0) * (asset != NONE)
    )
    pages = pl.Series(["https://www.tandem-demo.example" + p for p in catalog.SITE_PAGES])
    site = pages.gather(rng.integers(0, len(pages), len(all_idx)))
    wants_url = pl.Series(is_type(*_URL_TYPES))
    url = pl.select(
        pl.when(asset_url.is_not_null()).then(asset_url).when(wants_url).then(site).otherwise(None)
    ).to_series()
    sales = is_type("sales_email", "sales_call", "meeting")
    keep = all_at <= spec.as_of_us
    frame = pl.DataFrame(
        {
            "contact_id": j.contact_id[all_idx],
            "type": pl.Series(TYPES).gather(all_types),
            "occurred_at": all_at,
            "received_at": all_at + rng.integers(1_000_000, 300_000_000, len(all_idx)),
            "campaign_id": pl.Series(campaign).replace(NONE, None),
            "asset_id": pl.Series(asset).replace(NONE, None),
            "channel": pl.Series([c.value for c in CHANNELS]).gather(channel),
            "url": url,
            "actor_user_id": pl.Series(np.where(sales, j.owner_id[all_idx], NONE)).replace(
                NONE, None
            ),
        }
    ).filter(pl.Series(keep))
    frame = frame.sort("contact_id", "occurred_at")
    return frame.with_columns(
        pl.col("occurred_at").cast(pl.Datetime("us", "UTC")),
        pl.min_horizontal("received_at", pl.lit(spec.as_of_us)).cast(pl.Datetime("us", "UTC")),
    )
