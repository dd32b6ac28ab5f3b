"""On a leadforge world (MIT, generated CRM data whose contacts carry buyer roles): the roles
imported as the contacts' buying role, and each account's committee against the default
template, equal a pandas computation from the generated rows."""

import pandas as pd
import pytest
from sqlalchemy import insert, select

from tandem.accounts import committees
from tandem.accounts.definitions import default_text
from tandem.accounts.models import Account
from tandem.contacts.models import Contact

leadforge = pytest.importorskip("leadforge.api.generator")
MAPPED = {
    "economic_buyer": "economic_buyer",
    "champion": "champion",
    "technical_evaluator": "technical_evaluator",
    "end_user": "user",
}
TEMPLATE = ["decision_maker", "economic_buyer", "champion", "technical_evaluator"]


@pytest.fixture(scope="module")
def world():
    gen = leadforge.Generator.from_recipe(
        "b2b_saas_procurement_v1", seed=11, n_accounts=30, n_contacts=150, n_leads=150
    )
    population = gen.generate().population
    accounts = pd.DataFrame([a.to_dict() for a in population.accounts])
    contacts = pd.DataFrame([c.to_dict() for c in population.contacts])
    return accounts, contacts


def test_imported_buyer_roles_and_coverage_equal_pandas(db, world):
    accounts, contacts = world
    assert "end_user: user" in default_text("buying_committee")
    db.execute(
        insert(Account),
        [
            {
                "external_id": r.account_id,
                "name": r.company_name,
                "industry": r.industry,
                "region": r.region,
                "employee_band": r.employee_band,
            }
            for r in accounts.itertuples()
        ],
    )
    ids = dict(db.execute(select(Account.external_id, Account.id)).all())
    db.execute(
        insert(Contact),
        [
            {
                "external_id": r.contact_id,
                "email": f"{r.contact_id}@lf.example",
                "title": r.job_title,
                "account_id": ids[r.account_id],
                "buying_role": r.buyer_role,
            }
            for r in contacts.itertuples()
        ],
    )
    counts = committees.sync(db)
    assert counts["imported"] == len(contacts) and counts["guessed"] == 0

    present = (
        contacts.assign(role=contacts["buyer_role"].map(MAPPED))
        .groupby("account_id")["role"]
        .agg(set)
    )
    for external, account_id in ids.items():
        members, cover = committees.committee(db, account_id)
        roles = present.get(external, set())
        assert sorted(m.role for m in members) == sorted(
            contacts.loc[contacts["account_id"] == external, "buyer_role"].map(MAPPED)
        )
        assert set(cover.present_not_engaged) == roles & set(TEMPLATE)  # nobody engaged yet
        assert cover.covered == ()
        assert list(cover.missing) == TEMPLATE  # named, in the template's order
