"""Build dashboard facts from plain rows, without a database, for the pure metric tests."""

from datetime import UTC, datetime

import polars as pl

from tandem.analytics.frames import TS, Facts, build_facts

T = datetime(2026, 1, 1, tzinfo=UTC)


def facts(
    contacts: list[dict],
    transitions: list[tuple[int, str | None, str, datetime]],
    deals: list[dict] | None = None,
    loaded_at: datetime = T,
) -> Facts:
    """Contacts: contact_id plus optional dims; transitions: (contact, from, to, at)."""
    base = {
        "owner_id": None,
        "created_at": T,
        "stage_entered_at": None,
        "stage": "lead",
        "segment": None,
        "region": None,
        "vertical": None,
        "channel": None,
        "campaign": None,
    }
    rows = [{**base, **c} for c in contacts]
    contact_frame = pl.DataFrame(
        rows,
        schema={
            "contact_id": pl.Int64,
            "owner_id": pl.Int64,
            "created_at": TS,
            "stage_entered_at": TS,
            "stage": pl.String,
            "segment": pl.String,
            "region": pl.String,
            "vertical": pl.String,
            "channel": pl.String,
            "campaign": pl.String,
        },
    )
    transition_frame = pl.DataFrame(
        [
            {"id": i, "contact_id": c, "from_stage": a, "to_stage": b, "at": at, "reason": None}
            for i, (c, a, b, at) in enumerate(transitions, 1)
        ],
        schema={
            "id": pl.Int64,
            "contact_id": pl.Int64,
            "from_stage": pl.String,
            "to_stage": pl.String,
            "at": TS,
            "reason": pl.String,
        },
    )
    deal_base = {
        "owner_id": None,
        "contact_id": None,
        "stage": "discovery",
        "amount": 0.0,
        "created_at": T,
        "expected_close_on": None,
        "closed_at": None,
        "is_closed": False,
        "is_won": False,
        "deal_type": "new",
        "lead_source": None,
        "lost_reason": None,
        "segment": None,
        "region": None,
        "vertical": None,
        "account_id": None,
        "channel": None,
        "campaign": None,
    }
    deal_frame = pl.DataFrame(
        [{**deal_base, "opportunity_id": i, **d} for i, d in enumerate(deals or [], 1)],
        schema={
            "opportunity_id": pl.Int64,
            "owner_id": pl.Int64,
            "contact_id": pl.Int64,
            "stage": pl.String,
            "amount": pl.Float64,
            "created_at": TS,
            "expected_close_on": pl.Date,
            "closed_at": TS,
            "is_closed": pl.Boolean,
            "is_won": pl.Boolean,
            "deal_type": pl.String,
            "lead_source": pl.String,
            "lost_reason": pl.String,
            "segment": pl.String,
            "region": pl.String,
            "vertical": pl.String,
            "account_id": pl.Int64,
            "channel": pl.String,
            "campaign": pl.String,
        },
    )
    return build_facts(
        contacts=contact_frame,
        transitions=transition_frame,
        opportunities=deal_frame,
        campaigns=pl.DataFrame(
            schema={"campaign_id": pl.Int64, "name": pl.String, "channel": pl.String}
        ),
        loaded_at=loaded_at,
    )
