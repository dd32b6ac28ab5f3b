"""The accounts pages and API: the list (filters, sort, saved views, only what a rep may
open), an account's ABM section, the role form, the packet and the ABM dashboard."""

from datetime import timedelta

from tandem.accounts import journey, scores
from tandem.auth.roles import Role
from tandem.db import utcnow
from tests import factories as f
from tests.web.test_pages import login


def world(db):
    rep = f.user(db, Role.SALES_REP)
    manager = f.user(db, Role.SALES_MANAGER)
    hot = f.account(
        db, name="Hotco", industry="software", employees=5000, tier="1", owner_id=rep.id
    )
    cold = f.account(db, name="Coldco", tier="2")
    theirs = f.account(db, name="Otherco", owner_id=manager.id)
    now = utcnow()
    ceo = f.contact(
        db,
        account_id=hot.id,
        first_name="Cee",
        last_name="Eo",
        title="CEO",
        buying_role="decision_maker",
    )
    for day in range(4):
        f.activity(db, ceo, "meeting", at=now - timedelta(days=day + 1))
    f.opportunity(db, hot, product_line="GTX Pro", is_won=True, is_closed=True)
    f.opportunity(db, hot, product_line="MG Special")
    scores.score_accounts(db, [hot.id, cold.id, theirs.id], as_of=now)
    journey.snapshot(db, day=now.date())
    return rep, manager, hot, cold, theirs


def test_the_list_filters_sorts_and_shows_a_rep_only_what_they_may_open(client, db):
    rep, manager, hot, cold, theirs = world(db)
    login(client, manager.email)
    api = client.get("/api/v1/accounts").json()
    assert [r["values"]["name"] for r in api["rows"]][0] == "Hotco"  # the highest score first
    assert api["total"] == 3 and api["rows"][0]["values"]["stage"] == "customer"

    def names(query):
        return [r["values"]["name"] for r in client.get(f"/api/v1/accounts?{query}").json()["rows"]]

    assert names("tier=2") == ["Coldco"]
    assert names("stage=customer") == ["Hotco"]
    assert names("sort=name") == ["Coldco", "Hotco", "Otherco"]
    page = client.get("/accounts?tier=1")
    assert page.status_code == 200 and "Hotco" in page.text and "Coldco" not in page.text
    # A saved view comes back as a link.
    client.get("/login")
    saved = client.post(
        "/views",
        data={
            "list_name": "accounts",
            "name": "Tier one",
            "query": "tier=1",
            "csrf_token": client.cookies.get("tandem_csrf"),
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert ">Tier one</a>" in client.get("/accounts").text
    assert 'href="/accounts?tier=1&amp;sort=-score' in client.get("/accounts").text
    client.post("/logout")
    login(client, rep.email)
    names = [r["values"]["name"] for r in client.get("/api/v1/accounts").json()["rows"]]
    assert "Otherco" not in names and {"Hotco", "Coldco"} <= set(names)


def test_the_account_page_loads_its_abm_section(client, db):
    rep, manager, hot, *_ = world(db)
    login(client, rep.email)
    page = client.get(f"/accounts/{hot.id}").text
    assert f'data-src="/accounts/{hot.id}/abm"' in page
    panel = client.get(f"/api/v1/accounts/{hot.id}/abm").json()
    assert panel["score"]["total"] == scores_total(db, hot.id)
    assert panel["committee"]["covered"] == ["decision_maker"]
    assert panel["whitespace"] == {"owned": ["GTX Pro"], "pipeline": ["MG Special"], "open": []}
    assert sum(panel["engagement"]["roles"]["decision_maker"]) == 4
    assert sum(panel["engagement"]["people"]["Cee Eo"]) == 4
    fragment = client.get(f"/accounts/{hot.id}/abm").text
    assert (
        "Cee Eo" in fragment
        and "Decision maker" in fragment
        and panel["score"]["total"] in fragment
    )


def scores_total(db, account_id):
    from tandem.accounts.models import AccountScore

    return str(db.get(AccountScore, account_id).total)


def test_a_rep_confirms_a_role_and_bad_roles_are_refused(client, db):
    rep, _, hot, *_ = world(db)
    cto = f.contact(db, account_id=hot.id, title="CTO")
    login(client, rep.email)
    csrf = client.cookies.get("tandem_csrf")
    ok = client.post(
        f"/api/v1/accounts/{hot.id}/committee",
        json={"contact_id": cto.id, "role": "technical_evaluator"},
        headers={"X-CSRF-Token": csrf},
    )
    assert ok.status_code == 200
    panel = client.get(f"/api/v1/accounts/{hot.id}/abm").json()
    member = next(m for m in panel["committee"]["members"] if m["contact_id"] == cto.id)
    assert (member["role"], member["source"]) == ("technical_evaluator", "rep")
    bad = client.post(
        f"/api/v1/accounts/{hot.id}/committee",
        json={"contact_id": cto.id, "role": "wizard"},
        headers={"X-CSRF-Token": csrf},
    )
    assert bad.status_code == 422 and "not a configured buying role" in bad.text


def test_the_packet_and_the_dashboard(client, db):
    rep, manager, hot, *_ = world(db)
    login(client, manager.email)
    packet = client.get(f"/api/v1/accounts/{hot.id}/packet").json()
    assert packet["account"]["name"] == "Hotco"
    assert [d["name"] for d in packet["open_deals"]] and packet["open_deals"][0][
        "product"
    ] == "MG Special"
    assert packet["next_step"] == "reach the economic buyer"
    assert packet["committee"]["missing"] == ["economic_buyer", "champion", "technical_evaluator"]
    assert len(packet["consumed"]) == 4
    dash = client.get("/api/v1/abm").json()
    assert dash["funnel"]["1"] == {"customer": 1} and dash["funnel"]["2"] == {"unaware": 1}
    assert max(dash["engaged_accounts"]) == 1  # only Hotco was touched, in the last weeks
    assert dash["engaged_accounts"][:-2] == [0] * 10
    html = client.get("/abm").text
    assert "Tier funnel" in html and 'id="tier-funnel"' in html
