"""The funnel and deal metrics, defined once for every page, the API and the CLI. Pure."""

from tandem.analytics.frames import STAGES
from tandem.analytics.relations import CONTACT_DIMENSIONS, DEAL_DIMENSIONS
from tandem.metrics.spec import Count, Mean, Median, Metric, Share, Sum


def stage_label(stage: str) -> str:
    """MQL, SAL, SQL in capitals; other stages capitalised."""
    return stage.upper() if stage in {"mql", "sal", "sql"} else stage.capitalize()


_CONTACT_COLUMNS = ("stage", "segment", "region", "vertical", "channel", "source")


def _reached(stage: str) -> Metric:
    name = stage_label(stage)
    return Metric(
        name=f"reached_{stage}",
        label=f"Reached {name}",
        definition=(
            f"Contacts that first reached {name} in the window. A contact counts once, on the "
            f"day it first reached {name}; one that reached a later stage without a logged "
            f"{name} (an import that jumped) counts too, as implied."
        ),
        population="contacts",
        measure=Count(),
        unit="count",
        date_by=f"reached_{stage}_s",
        dated=f"the day first reached {name}",
        dimensions=CONTACT_DIMENSIONS,
        columns=(*_CONTACT_COLUMNS, f"reached_{stage}_s"),
        implied=f"implied_{stage}",
    )


def _conversion(a: str, b: str) -> Metric:
    went = f"reached_{b}_s IS NOT NULL AND reached_{b}_s < {{as_of}}"
    return Metric(
        name=f"conversion_{a}_to_{b}",
        label=f"{stage_label(a)} → {stage_label(b)}",
        definition=(
            f"Of the contacts that first reached {stage_label(a)} in the window, the share "
            f"that reached {stage_label(b)} by the moment shown."
        ),
        population="contacts",
        measure=Share(went),
        unit="percent",
        date_by=f"reached_{a}_s",
        dated=f"the day first reached {stage_label(a)}",
        dimensions=CONTACT_DIMENSIONS,
        columns=(*_CONTACT_COLUMNS, f"reached_{a}_s", f"reached_{b}_s"),
        implied=f"CASE WHEN implied_{b} = 1 AND {went} THEN 1 ELSE 0 END",
    )


CONVERSIONS: tuple[tuple[str, str], ...] = (
    *zip(STAGES, STAGES[1:], strict=False),
    ("mql", "sql"),
    ("lead", "customer"),
)

_WON = "is_closed = 1 AND is_won = 1"
_OPEN = (
    "(created_s IS NULL OR created_s <= {as_of}) AND "
    "(CASE WHEN closed_s IS NULL THEN is_closed = 0 ELSE closed_s > {as_of} END)"
)
_DEAL_COLUMNS = ("stage", "amount", "deal_type", "product", "rep", "source")
# Deals dated by creation or by close: a deal without that date is counted as unknown.
_CREATED = {
    "date_by": "created_s",
    "dated": "creation date",
    "undated_unknown": True,
    "columns": (*_DEAL_COLUMNS, "created_s"),
}
_CLOSED = {
    "date_by": "closed_s",
    "dated": "close date",
    "undated_unknown": True,
    "columns": (*_DEAL_COLUMNS, "closed_s"),
}


def _deal(name: str, label: str, definition: str, **kw) -> Metric:
    return Metric(
        name=name,
        label=label,
        definition=definition,
        population="deals",
        dimensions=DEAL_DIMENSIONS,
        record="deal",
        **kw,
    )


DEAL_METRICS: tuple[Metric, ...] = (
    _deal(
        "deals_created",
        "Deals created",
        "Opportunities created in the window. A deal whose creation date is unknown is in no "
        "window and is counted as unknown instead.",
        measure=Count(),
        unit="count",
        **_CREATED,
    ),
    _deal(
        "pipeline_created",
        "Pipeline created",
        "The amount of the opportunities created in the window; deals without a known amount "
        "are left out of the sum and counted as unknown.",
        measure=Sum("amount"),
        unit="money",
        **_CREATED,
    ),
    _deal(
        "deals_won",
        "Deals won",
        "Opportunities won with a close date in the window.",
        measure=Count(),
        unit="count",
        where=_WON,
        **_CLOSED,
    ),
    _deal(
        "revenue_won",
        "Revenue won",
        "The amount of the opportunities won with a close date in the window; won deals "
        "without a known amount are left out of the sum and counted as unknown.",
        measure=Sum("amount"),
        unit="money",
        where=_WON,
        **_CLOSED,
    ),
    _deal(
        "bookings",
        "Bookings",
        "The amount of the new-business and upsell opportunities won with a close date in "
        "the window (renewals left out); won deals without a known amount are counted as "
        "unknown.",
        measure=Sum("amount"),
        unit="money",
        where=f"{_WON} AND deal_type IN ('new', 'upsell')",
        **_CLOSED,
    ),
    _deal(
        "pipeline_sourced",
        "Pipeline sourced",
        "The amount of the new-business opportunities created in the window, except those "
        "sales sourced by outreach (lead source: sales outreach): marketing's pipeline.",
        measure=Sum("amount"),
        unit="money",
        where="deal_type = 'new' AND lead_source <> 'sales_outreach'",
        **_CREATED,
    ),
    _deal(
        "average_won_deal",
        "Average won deal",
        "The mean amount of the opportunities won in the window, over those whose amount is known.",
        measure=Mean("amount"),
        unit="money",
        where=_WON,
        **_CLOSED,
    ),
    _deal(
        "win_rate",
        "Win rate",
        "Of the opportunities closed (won or lost) in the window, the share won.",
        measure=Share("is_won = 1"),
        unit="percent",
        where="is_closed = 1",
        **_CLOSED,
    ),
    _deal(
        "sales_cycle_days",
        "Sales cycle (won)",
        "The median days from creation to close of the opportunities won in the window; won "
        "deals whose creation date is unknown are left out and counted as unknown.",
        measure=Median("(closed_s - created_s) / 86400.0"),
        unit="days",
        where=_WON,
        **{**_CLOSED, "columns": (*_DEAL_COLUMNS, "created_s", "closed_s")},
    ),
    _deal(
        "open_deals",
        "Open deals",
        "Opportunities created by the moment shown and not closed by then.",
        measure=Count(),
        unit="count",
        date_by=None,
        window="as_of",
        where=_OPEN,
        columns=(*_DEAL_COLUMNS, "expected_close_s"),
    ),
    _deal(
        "open_pipeline",
        "Open pipeline",
        "The amount of the opportunities open at the moment shown; open deals without a known "
        "amount are left out of the sum and counted as unknown.",
        measure=Sum("amount"),
        unit="money",
        date_by=None,
        window="as_of",
        where=_OPEN,
        columns=(*_DEAL_COLUMNS, "expected_close_s"),
    ),
)

CONTACT_METRICS: tuple[Metric, ...] = (
    Metric(
        name="contacts_in_stage",
        label="Contacts in stage",
        definition=(
            "Contacts by the lifecycle stage they are in now (when the data was read); break "
            "it down by stage, or filter one stage."
        ),
        population="contacts",
        measure=Count(),
        unit="count",
        date_by=None,
        window="as_of",
        dimensions=(*CONTACT_DIMENSIONS, "stage"),
        columns=_CONTACT_COLUMNS,
    ),
    *(_reached(s) for s in STAGES),
    *(_conversion(a, b) for a, b in CONVERSIONS),
)

METRICS: tuple[Metric, ...] = (*CONTACT_METRICS, *DEAL_METRICS)
