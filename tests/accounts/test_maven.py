"""On the Maven CRM data (../shared/data/crm-sales-opportunities): the hierarchy imported from
`subsidiary_of`, its roll-ups and the whitespace per account and rolled up, each equal to a
pandas computation from the CSVs."""

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import insert, select

from tandem.accounts import hierarchy, space, tree
from tandem.accounts.errors import InvalidInput
from tandem.accounts.models import Account, AccountParent
from tandem.opportunities.models import Opportunity

DATA = Path("/work/shared/data/crm-sales-opportunities")
pytestmark = pytest.mark.skipif(not DATA.exists(), reason="Maven CRM data not present")


def key(name):
    return "".join(ch for ch in name.casefold() if ch.isalnum())


@pytest.fixture
def maven(db):
    accounts = pd.read_csv(DATA / "accounts.csv")
    pipeline = pd.read_csv(DATA / "sales_pipeline.csv")
    db.execute(
        insert(Account),
        [
            {
                "name": r.account,
                "domain": f"{key(r.account)}.maven.example",
                "industry": r.sector,
                "employees": int(r.employees),
                "annual_revenue": Decimal(str(r.revenue)),
            }
            for r in accounts.itertuples()
        ],
    )
    ids = dict(db.execute(select(Account.name, Account.id)).all())
    deals = pipeline[pipeline["account"].notna()]
    db.execute(
        insert(Opportunity),
        [
            {
                "external_id": r.opportunity_id,
                "name": r.opportunity_id,
                "account_id": ids[r.account],
                "stage": r.deal_stage,
                "product_line": r.product,
                "is_closed": r.deal_stage in ("Won", "Lost"),
                "is_won": r.deal_stage == "Won",
                "created_at": datetime(2017, 1, 1, tzinfo=UTC),
            }
            for r in deals.itertuples()
        ],
    )
    linked = tree.import_csv(db, (DATA / "accounts.csv").read_text())
    return accounts, deals, ids, linked


def _subtree_frame(accounts):
    """(root, member) pairs of every account's subtree, by repeated pandas merges."""
    edges = accounts[["account", "subsidiary_of"]].dropna()
    pairs = pd.DataFrame({"root": accounts["account"], "member": accounts["account"]})
    frontier = pairs
    while True:
        nxt = frontier.merge(edges, left_on="member", right_on="subsidiary_of")[["root", "account"]]
        nxt = nxt.rename(columns={"account": "member"})
        if nxt.empty:
            return pairs
        pairs = pd.concat([pairs, nxt]).drop_duplicates()
        frontier = nxt


def test_the_hierarchy_and_its_roll_ups_equal_pandas(db, maven):
    accounts, _, ids, linked = maven
    assert linked == accounts["subsidiary_of"].notna().sum() == 15
    parents = tree.parents(db)
    names = {v: k for k, v in ids.items()}
    assert {names[c]: names[p] for c, p in parents.items()} == dict(
        accounts.dropna(subset=["subsidiary_of"])[["account", "subsidiary_of"]].values
    )
    employees = {ids[r.account]: int(r.employees) for r in accounts.itertuples()}
    rolled = hierarchy.rollup(list(employees), parents, employees, sum)
    pairs = _subtree_frame(accounts).merge(
        accounts[["account", "employees"]], left_on="member", right_on="account"
    )
    expected = pairs.groupby("root")["employees"].sum()
    assert {names[a]: v for a, v in rolled.items()} == expected.to_dict()
    assert rolled[ids["Acme Corporation"]] > employees[ids["Acme Corporation"]]


def test_whitespace_per_account_and_rolled_up_equals_pandas(db, maven):
    accounts, deals, ids, _ = maven
    products = pd.read_csv(DATA / "products.csv")["product"].map(key)
    catalogue = set(products) | set(deals["product"].map(key))
    d = deals.assign(p=deals["product"].map(key))
    pairs = _subtree_frame(accounts)
    for rollup in (False, True):
        got = space.whitespace(db, rollup=rollup)
        scope = (
            pairs
            if rollup
            else pd.DataFrame({"root": accounts["account"], "member": accounts["account"]})
        )
        joined = scope.merge(d, left_on="member", right_on="account")
        owned = joined[joined["deal_stage"] == "Won"].groupby("root")["p"].agg(set)
        open_ = (
            joined[joined["deal_stage"].isin(["Prospecting", "Engaging"])]
            .groupby("root")["p"]
            .agg(set)
        )
        roots = sorted(set(joined["root"]))
        names = {v: k for k, v in ids.items()}
        assert sorted(names[a] for a in got) == roots
        for account_id, w in got.items():
            root = names[account_id]
            have = owned.get(root, set())
            pipe = open_.get(root, set()) - have
            assert {key(p) for p in w.owned} == have
            assert {key(p) for p in w.pipeline} == pipe
            assert {key(p) for p in w.open} == catalogue - have - pipe
    # The account page's group figures: Acme and its subsidiaries, from the CSV.
    from tandem.accounts import views

    panel = views.account_panel(db, ids["Acme Corporation"], as_of=datetime(2018, 1, 1, tzinfo=UTC))
    members = set(pairs.loc[pairs["root"] == "Acme Corporation", "member"])
    group = deals[deals["account"].isin(members)]
    assert panel["group"]["accounts"] == len(members) > 1
    assert panel["group"]["won_deals"] == (group["deal_stage"] == "Won").sum()
    assert (
        panel["group"]["open_deals"] == group["deal_stage"].isin(["Prospecting", "Engaging"]).sum()
    )
    assert (
        panel["whitespace_rollup"]
        == space.whitespace(db, rollup=True)[ids["Acme Corporation"]].as_dict()
    )
    # Rolled up, a parent owns at least what it owns alone.
    acme = ids["Acme Corporation"]
    alone, group = space.whitespace(db)[acme], space.whitespace(db, rollup=True)[acme]
    assert set(alone.owned) <= set(group.owned)


def test_a_cycle_is_refused_naming_it_and_nothing_is_written(db, maven):
    _, _, ids, _ = maven
    before = tree.parents(db)
    # Acme's subsidiary Bluth Company cannot also be Acme's parent.
    with pytest.raises(InvalidInput, match="parent-child cycle: .*Acme Corporation.*Bluth Company"):
        tree.set_parents(
            db,
            {ids["Acme Corporation"]: ids["Bluth Company"], ids["Cheers"]: ids["Acme Corporation"]},
        )
    assert tree.parents(db) == before
    assert (
        db.scalar(select(AccountParent.parent_id).where(AccountParent.account_id == ids["Cheers"]))
        == ids["Massive Dynamic"]
    )
    with pytest.raises(InvalidInput, match="row 3: no parent account named 'Nobody'"):
        tree.import_csv(db, "account,subsidiary_of\nCheers,Acme Corporation\nCodehow,Nobody\n")
    assert tree.parents(db) == before
