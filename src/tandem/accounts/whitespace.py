"""Whitespace, pure: per account, the products owned (won, or used), in pipeline (open deals)
and not yet sold (the rest of the catalogue), and the same rolled up an account hierarchy.

Product names are compared by `product_key` (case, spaces and punctuation ignored), as CRM
exports spell one product several ways (Maven's `GTX Pro` and `GTXPro`)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from tandem.accounts.hierarchy import check, children, subtree


def product_key(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.casefold())


@dataclass(frozen=True, slots=True)
class Deal:
    account_id: int
    product: str | None
    is_closed: bool
    is_won: bool


@dataclass(frozen=True)
class Whitespace:
    owned: tuple[str, ...]
    pipeline: tuple[str, ...]
    open: tuple[str, ...]  # not yet sold nor in pipeline

    def as_dict(self) -> dict[str, list[str]]:
        return {"owned": list(self.owned), "pipeline": list(self.pipeline), "open": list(self.open)}


def _sets(deals: Iterable[Deal], used: Mapping[int, Iterable[str]]):
    owned: dict[int, set[str]] = defaultdict(set)
    pipeline: dict[int, set[str]] = defaultdict(set)
    for d in deals:
        if not d.product:
            continue
        if d.is_won:
            owned[d.account_id].add(product_key(d.product))
        elif not d.is_closed:
            pipeline[d.account_id].add(product_key(d.product))
    for account_id, products in used.items():
        owned[account_id].update(product_key(p) for p in products)
    return owned, pipeline


def whitespace(
    catalogue: Sequence[str],
    deals: Iterable[Deal],
    *,
    accounts: Iterable[int] | None = None,
    parents: Mapping[int, int | None] | None = None,
    used: Mapping[int, Iterable[str]] | None = None,
) -> dict[int, Whitespace]:
    """Whitespace per account; with `parents`, each account's figures cover its subtree.
    `accounts` defaults to those with a won or open deal (customers and open accounts)."""
    names = {product_key(p): p for p in catalogue}
    owned, pipeline = _sets(deals, used or {})
    targets = sorted(set(accounts) if accounts is not None else set(owned) | set(pipeline))
    kids = {}
    if parents:
        check(parents)
        kids = children(parents)
    out = {}
    for account in targets:
        tree = subtree(account, kids) if parents else [account]
        have = set().union(*(owned.get(a, set()) for a in tree))
        open_deals = set().union(*(pipeline.get(a, set()) for a in tree)) - have
        rest = set(names) - have - open_deals
        label = lambda keys: tuple(sorted(names.get(k, k) for k in keys))  # noqa: E731
        out[account] = Whitespace(label(have), label(open_deals), label(rest))
    return out
