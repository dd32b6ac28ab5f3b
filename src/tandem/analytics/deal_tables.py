"""The deal tables (by type, by dimension) from the metric registry's breakdowns, so that a
table's "won amount" for a region is the registry's revenue won filtered to that region."""

from tandem.analytics.schemas import DealTypeRow, DimensionDeals
from tandem.metrics import service as metrics
from tandem.metrics.engine import Engine
from tandem.metrics.spec import Part, Window

#: One scan of the deals gives every column of both tables.
_DEAL_METRICS = ("deals_created", "win_rate", "revenue_won", "average_won_deal")


def _by(engine: Engine, at: Window, filters: dict[str, str], by: str, names: tuple[str, ...]):
    found = metrics.breakdowns(engine, names, at, by, filters, strict=False)
    return {name: {p.value: p for p in parts} for name, parts in found.items()}


def _won(closed: Part | None) -> tuple[int, int]:
    """(won, lost) of a win-rate part: its rows are the closed deals, its numerator the won."""
    if closed is None:
        return 0, 0
    won = int(closed.numerator or 0)
    return won, closed.rows - won


def deals_by(
    engine: Engine, at: Window, filters: dict[str, str], dimension: str
) -> list[DimensionDeals]:
    """Per value of `dimension`: deals created, won and lost in the window, win rate, won
    amount; largest won amount first."""
    parts = _by(engine, at, filters, dimension, _DEAL_METRICS)
    rows = []
    for value in set().union(*(p.keys() for p in parts.values())):
        closed, revenue = parts["win_rate"].get(value), parts["revenue_won"].get(value)
        created = parts["deals_created"].get(value)
        won, lost = _won(closed)
        rows.append(
            DimensionDeals(
                dimension=dimension,
                value=value,
                created=created.rows if created else 0,
                won=won,
                lost=lost,
                win_rate=closed.figure if closed else None,
                won_amount=revenue.figure or 0.0 if revenue else 0.0,
            )
        )
    return sorted(
        (r for r in rows if r.created or r.won or r.lost),
        key=lambda r: (-r.won_amount, -r.created, r.value),
    )


def deal_types(engine: Engine, at: Window, filters: dict[str, str]) -> list[DealTypeRow]:
    """Per deal type: created in the window, open at its end, won and lost, win rate, won
    amount and average (deals of unknown amount counted apart); the commonest type first."""
    parts = _by(engine, at, filters, "deal_type", (*_DEAL_METRICS, "open_deals"))
    rows = []
    for value in sorted(set().union(*(p.keys() for p in parts.values()))):
        get = {name: found.get(value) for name, found in parts.items()}
        won, lost = _won(get["win_rate"])
        revenue, average = get["revenue_won"], get["average_won_deal"]
        rows.append(
            DealTypeRow(
                deal_type=value,
                created=get["deals_created"].rows if get["deals_created"] else 0,
                open=get["open_deals"].rows if get["open_deals"] else 0,
                won=won,
                lost=lost,
                win_rate=get["win_rate"].figure if get["win_rate"] else None,
                won_amount=revenue.figure or 0.0 if revenue else 0.0,
                average_won=average.figure if average else None,
                unknown_amount=revenue.unknown if revenue else 0,
            )
        )
    return sorted(rows, key=lambda r: (-r.created, r.deal_type))
