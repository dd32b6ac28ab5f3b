"""Assemble the demo data set chunk by chunk, ready for bulk loading.

`generate(spec)` yields the world (campaigns, assets, accounts) and then one `Chunk` per group of
accounts, so a million contacts never sit in memory at once. Ids are assigned here so the output
is the same for a given spec, whatever database it is loaded into.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from tandem.activities.channels import Channel
from tandem.demo import catalog
from tandem.demo.deals import build_deals, contact_roles
from tandem.demo.journeys import NONE, REJECT_REASONS, Journeys, build_journeys
from tandem.demo.spec import US_PER_DAY, DemoSpec
from tandem.demo.touches import build_touches
from tandem.demo.world import World, build_world

SOURCE_MEDIUM = {
    Channel.ORGANIC_SEARCH: ("google", "organic"),
    Channel.PAID_SEARCH: ("google", "cpc"),
    Channel.PAID_SOCIAL: ("linkedin", "paid_social"),
    Channel.ORGANIC_SOCIAL: ("linkedin", "social"),
    Channel.EMAIL: ("newsletter", "email"),
    Channel.DISPLAY: ("programmatic", "display"),
    Channel.EVENTS: ("trade_show", "event"),
    Channel.WEBINAR: ("webinar", "webinar"),
    Channel.REFERRAL: ("partner_blog", "referral"),
    Channel.DIRECT: ("(direct)", "(none)"),
    Channel.CONTENT_SYNDICATION: ("syndication_network", "syndication"),
    Channel.PARTNER: ("partner", "partner"),
}


@dataclass
class IdCursor:
    """The next free id per generated table, carried from chunk to chunk."""

    next: dict[str, int] = field(
        default_factory=lambda: {
            "opportunities": 1,
            "activities": 1,
            "stage_transitions": 1,
            "opportunity_contact_roles": 1,
            "usage_facts": 1,
        }
    )

    def take(self, table: str, frame: pl.DataFrame) -> pl.DataFrame:
        """Give `frame` consecutive ids for `table` (as the first column)."""
        start = self.next[table]
        self.next[table] = start + frame.height
        return frame.with_columns(
            pl.int_range(start, start + frame.height, dtype=pl.Int64).alias("id")
        ).select("id", pl.exclude("id"))


@dataclass(frozen=True)
class Chunk:
    """Rows for every per-contact table, for one group of accounts."""

    contacts: pl.DataFrame
    stage_transitions: pl.DataFrame
    opportunities: pl.DataFrame
    opportunity_contact_roles: pl.DataFrame
    activities: pl.DataFrame
    usage_facts: pl.DataFrame

    def tables(self) -> list[tuple[str, pl.DataFrame]]:
        """(table, rows) in foreign-key order."""
        return [
            ("contacts", self.contacts),
            ("stage_transitions", self.stage_transitions),
            ("opportunities", self.opportunities),
            ("opportunity_contact_roles", self.opportunity_contact_roles),
            ("activities", self.activities),
            ("usage_facts", self.usage_facts),
        ]


def _transitions(
    rng: np.random.Generator, j: Journeys, won_at: np.ndarray, lost_at: np.ndarray
) -> tuple[pl.DataFrame, np.ndarray, np.ndarray]:
    n = len(j.contact_id)
    is_sub = j.subscriber_at != NONE
    reasons = np.array([f"rejected: {r}" for r in REJECT_REASONS])[
        rng.integers(0, len(REJECT_REASONS), n)
    ]
    drop_to = np.where(rng.random(n) < 0.7, "nurture", "disqualified")
    owner_actor = np.char.add("user:", j.owner_id.astype(str))
    steps = [
        (is_sub, None, "subscriber", j.subscriber_at, "import:demo", None),
        (is_sub & (j.lead_at != NONE), "subscriber", "lead", j.lead_at, "form:demo", None),
        (~is_sub, None, "lead", j.lead_at, "import:demo", None),
        (
            j.mql_at != NONE,
            "lead",
            "mql",
            j.mql_at,
            "scoring:demo-v1",
            "score crossed the MQL threshold",
        ),
        (j.sal_at != NONE, "mql", "sal", j.sal_at, owner_actor, "accepted by sales"),
        (j.rejected_at != NONE, "mql", "nurture", j.rejected_at, owner_actor, reasons),
        (j.sql_at != NONE, "sal", "sql", j.sql_at, owner_actor, "qualified: BANT confirmed"),
        (j.recycled_at != NONE, "sal", drop_to, j.recycled_at, owner_actor, "not ready: recycled"),
        (j.opp_at != NONE, "sql", "opportunity", j.opp_at, owner_actor, "opportunity created"),
        (won_at != NONE, "opportunity", "customer", won_at, "crm:demo", "deal won"),
        (lost_at != NONE, "opportunity", "nurture", lost_at, "crm:demo", "deal lost"),
    ]
    frames = []
    final_stage = np.full(n, "lead", dtype=object)
    final_at = j.lead_at.copy()
    for mask, src, dst, at, actor, reason in steps:
        sel = np.flatnonzero(mask)

        def pick(v: object, s: np.ndarray = sel) -> np.ndarray:
            return v[s] if isinstance(v, np.ndarray) else np.full(len(s), v, dtype=object)

        frames.append(
            pl.DataFrame(
                {
                    "contact_id": j.contact_id[sel],
                    "from_stage": pl.Series(pick(src).tolist(), dtype=pl.String),
                    "to_stage": pl.Series(pick(dst).tolist(), dtype=pl.String),
                    "occurred_at": at[sel],
                    "by_user_id": pl.Series(
                        np.where(isinstance(actor, np.ndarray), j.owner_id[sel], NONE)
                    ).replace(NONE, None),
                    "actor": pl.Series(pick(actor).tolist(), dtype=pl.String),
                    "reason": pl.Series(pick(reason).tolist(), dtype=pl.String),
                }
            )
        )
        later = at[sel] >= final_at[sel]
        final_stage[sel[later]] = pick(dst)[later]
        final_at[sel[later]] = at[sel][later]
    final_stage[(j.lead_at == NONE) & is_sub] = "subscriber"
    final_at = np.where(j.lead_at == NONE, j.subscriber_at, final_at)
    frame = (
        pl.concat(frames)
        .sort("contact_id", "occurred_at")
        .with_columns(
            pl.col("occurred_at").cast(pl.Datetime("us", "UTC")),
            pl.col("by_user_id").cast(pl.Int64),
        )
    )
    return frame, final_stage, final_at


def build_chunk(
    spec: DemoSpec, world: World, chunk: int, first: int, last: int, ids: IdCursor
) -> Chunk:
    """Contacts, journeys, deals and touches of accounts [first, last)."""
    j = build_journeys(spec, world, chunk, first, last)
    arrival_names = np.array([catalog.CHANNEL_MIX[a][0].value for a in j.arrival_channel])
    deals = build_deals(spec, world, chunk, j, arrival_names)
    won_at = np.full(len(j.contact_id), NONE)
    lost_at = np.full(len(j.contact_id), NONE)
    for i in np.flatnonzero(j.opp_at != NONE):
        close, won = deals.close_of_new[int(j.account_idx[i])]
        if close != NONE:
            at = max(close, int(j.opp_at[i]) + 3_600_000_000)
            if at <= spec.as_of_us:
                (won_at if won else lost_at)[i] = at
    transitions, final_stage, final_at = _transitions(spec.rng(40, chunk), j, won_at, lost_at)
    end_at = np.where(
        np.isin(final_stage, ["nurture", "disqualified"]), final_at + 45 * US_PER_DAY, spec.as_of_us
    )
    touches = ids.take(
        "activities", build_touches(spec, world, chunk, j, np.minimum(end_at, spec.as_of_us))
    )
    touches = touches.with_columns(
        idempotency_key=pl.format(
            "demo-{}-{}", pl.lit(spec.seed), pl.col("id").cast(pl.String).str.zfill(12)
        ),
        properties=pl.lit("{}"),
    )
    first_touch = touches.unique("contact_id", keep="first", maintain_order=True).select(
        "contact_id", "campaign_id", "channel", "url"
    )
    sm = {c.value: v for c, v in SOURCE_MEDIUM.items()}
    contacts = (
        j.frame.join(first_touch.rename({"contact_id": "id"}), on="id", how="left")
        .with_columns(
            lifecycle_stage=pl.Series(final_stage.astype(str)),
            stage_entered_at=pl.Series(final_at).cast(pl.Datetime("us", "UTC")),
            first_touch_source=pl.col("channel")
            .replace_strict(sm, default=None)
            .list.get(0, null_on_oob=True),
            first_touch_medium=pl.col("channel")
            .replace_strict(sm, default=None)
            .list.get(1, null_on_oob=True),
            custom_fields=pl.lit("{}"),
        )
        .rename({"campaign_id": "first_touch_campaign_id", "url": "first_touch_landing_page"})
        .drop("channel")
    )
    opportunities = (
        ids.take("opportunities", deals.opportunities)
        if deals.opportunities.height
        else deals.opportunities
    )
    roles = (
        contact_roles(opportunities, j.frame, j.mql_at) if opportunities.height else pl.DataFrame()
    )
    return Chunk(
        contacts=contacts,
        stage_transitions=ids.take("stage_transitions", transitions),
        opportunities=opportunities,
        opportunity_contact_roles=ids.take("opportunity_contact_roles", roles)
        if roles.height
        else roles,
        activities=touches,
        usage_facts=ids.take("usage_facts", deals.usage) if deals.usage.height else deals.usage,
    )


def generate(spec: DemoSpec) -> tuple[World, Iterator[Chunk]]:
    """The world, and a lazy sequence of chunks covering all its accounts."""
    world = build_world(spec)
    n_accounts = world.accounts.height
    bounds = range(0, n_accounts, spec.accounts_per_chunk)

    def chunks() -> Iterator[Chunk]:
        ids = IdCursor()
        for k, first in enumerate(bounds):
            yield build_chunk(
                spec, world, k, first, min(first + spec.accounts_per_chunk, n_accounts), ids
            )

    return world, chunks()
