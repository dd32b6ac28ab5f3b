"""The app shell over HTTP: sign-in, CSRF, the pages and their JSON twins."""

import re
from datetime import timedelta

import pytest

from tandem.auth import service as auth
from tandem.auth.roles import Role
from tandem.web.csrf import CSRF_COOKIE
from tests import factories as f
from tests.factories import PASSWORD, T0


def login(client, email, password=PASSWORD):
    client.get("/login")
    token = client.cookies.get(CSRF_COOKIE)
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )


@pytest.fixture
def rep(db):
    return f.user(db, role=Role.SALES_REP, name="Alex Rep")


@pytest.fixture
def signed_in(client, rep):
    assert login(client, rep.email).status_code == 303
    return client


def test_pages_redirect_to_login_when_signed_out(client):
    response = client.get("/contacts", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/contacts"


def test_wrong_login_says_so_without_hinting_and_keeps_the_email(client, rep):
    response = login(client, rep.email, "not the password")
    assert response.status_code == 401
    assert "Email or password is incorrect." in response.text
    assert f'value="{rep.email}"' in response.text
    assert "tandem_session" not in response.cookies


def test_login_without_csrf_token_is_forbidden(client, rep):
    response = client.post("/login", data={"email": rep.email, "password": PASSWORD})
    assert response.status_code == 403


def test_login_sets_httponly_session_cookie_and_shows_home(client, rep):
    response = login(client, rep.email)
    cookie = response.headers["set-cookie"]
    assert "tandem_session=" in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert "Alex Rep" in client.get("/").text


def test_login_never_redirects_off_site(client, rep):
    client.get("/login")
    token = client.cookies.get(CSRF_COOKIE)
    response = client.post(
        "/login",
        data={
            "email": rep.email,
            "password": PASSWORD,
            "csrf_token": token,
            "next": "//evil.example",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_security_headers_on_every_page(client):
    headers = client.get("/login").headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"


def test_home_scorecard_shows_real_counts(signed_in, db):
    for _ in range(3):
        f.contact(db, lifecycle_stage="mql")
    f.contact(db, lifecycle_stage="customer")
    html = signed_in.get("/").text
    assert re.search(r'id="contacts-total">4<', html)
    data = signed_in.get("/api/v1/scorecard").json()
    assert {s["stage"]: s["contacts"] for s in data["stages"]}["mql"] == 3


def test_contacts_search_filter_and_pagination(signed_in, db, rep):
    acct = f.account(db, name="Northwind")
    for i in range(55):
        f.contact(
            db, email=f"lead{i:02d}@northwind.example", account_id=acct.id, lifecycle_stage="lead"
        )
    f.contact(
        db, email="zed@other.example", first_name="Zed", lifecycle_stage="mql", owner_id=rep.id
    )
    page1 = signed_in.get("/contacts?stage=lead").text
    assert "1–50 of 55" in page1 and "page 1 of 2" in page1 and 'rel="next"' in page1
    assert "zed@other.example" not in page1
    page2 = signed_in.get("/contacts?stage=lead&page=2").text
    assert "51–55 of 55" in page2
    assert len(re.findall(r"lead\d\d@northwind.example</td>", page2)) == 5
    assert "1–1 of 1" in signed_in.get("/contacts?q=zed").text
    mine = signed_in.get("/contacts?owner=me").text
    assert "zed@other.example" in mine and "northwind.example" not in mine


def test_bad_filter_value_names_the_field_and_keeps_the_value(signed_in):
    response = signed_in.get("/contacts?stage=hot&owner=bob")
    assert response.status_code == 422
    assert "stage: &#39;hot&#39; is not one of: subscriber, lead" in response.text
    assert "owner: no user is called &#39;bob&#39;" in response.text
    assert "<h1>Contacts</h1>" in response.text  # the page is whole, with the message


def test_contact_page_shows_timeline_in_order_content_and_first_arrival(signed_in, db):
    camp = f.campaign(db, name="Spring Webinar", channel="webinar")
    guide = f.asset(db, title="Guide to Attribution", journey_stage="consideration")
    person = f.contact(
        db,
        first_name="Ada",
        last_name="Lovelace",
        first_touch_source="google",
        first_touch_medium="cpc",
        first_touch_campaign_id=camp.id,
        first_touch_landing_page="/pricing",
    )
    f.activity(db, person, "meeting", T0 + timedelta(days=3))
    f.activity(db, person, "ad_click", T0, campaign_id=camp.id)
    f.activity(db, person, "content_download", T0 + timedelta(days=1), asset_id=guide.id)
    f.transition(db, person, "lead", "mql", T0 + timedelta(days=2), actor="scoring:v1")
    html = signed_in.get(f"/contacts/{person.id}").text
    labels = re.findall(r"<strong>([^<]+)</strong>", html.split('id="timeline"')[1])
    assert labels == ["Ad click", "Content download", "Meeting"]
    assert "Guide to Attribution" in html and "Spring Webinar" in html and "/pricing" in html
    data = signed_in.get(f"/api/v1/contacts/{person.id}").json()
    assert [e["type"] for e in data["timeline_entries"]] == [
        "ad_click",
        "content_download",
        "meeting",
    ]
    assert data["first_arrival"]["campaign"] == "Spring Webinar"
    assert data["content"][0]["title"] == "Guide to Attribution"
    assert data["transitions"][0]["to_stage"] == "mql"


def test_account_page_groups_contacts_by_buying_role(signed_in, db):
    acct = f.account(db, name="Helix Labs", is_target=True, tier="1")
    ceo = f.contact(db, first_name="Cee", account_id=acct.id, buying_role="decision_maker")
    f.contact(db, first_name="Champ", account_id=acct.id, buying_role="champion")
    f.contact(db, first_name="Uma", account_id=acct.id, buying_role="user")
    f.opportunity(db, acct, name="Helix · new", contacts=[(ceo, "decision_maker")])
    data = signed_in.get(f"/api/v1/accounts/{acct.id}").json()
    groups = {g["role"]: [c["full_name"] for c in g["contacts"]] for g in data["committee"]}
    assert groups == {"decision_maker": ["Cee"], "champion": ["Champ"], "user": ["Uma"]}
    assert data["opportunities"][0]["name"] == "Helix · new"
    html = signed_in.get(f"/accounts/{acct.id}").text
    assert "Decision maker" in html and "Helix · new" in html and "tier 1" in html


def test_missing_records_are_404(signed_in):
    assert signed_in.get("/contacts/999999").status_code == 404
    assert signed_in.get("/api/v1/accounts/999999").status_code == 404


def test_api_requires_credentials_and_accepts_a_token(client, db, rep):
    assert client.get("/api/v1/contacts").status_code == 401
    _, plain = auth.create_api_token(db_session=db, user=rep, name="test")
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"})
    assert response.status_code == 200 and response.json()["email"] == rep.email
    assert (
        client.get("/api/v1/me", headers={"Authorization": "Bearer tdm_forged"}).status_code == 401
    )


def test_api_rejects_unknown_stage_filter(client, db, rep):
    _, plain = auth.create_api_token(db_session=db, user=rep, name="test")
    response = client.get(
        "/api/v1/contacts?stage=hot", headers={"Authorization": f"Bearer {plain}"}
    )
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["query", "stage"]


def test_logout_requires_csrf_and_ends_session(signed_in):
    assert signed_in.post("/logout").status_code == 403
    token = signed_in.cookies.get(CSRF_COOKIE)
    signed_in.post("/logout", data={"csrf_token": token})
    assert signed_in.get("/", follow_redirects=False).status_code == 303


def test_openapi_spec_lists_the_api(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {
        "/api/v1/contacts",
        "/api/v1/contacts/{contact_id}",
        "/api/v1/accounts/{account_id}",
    } <= set(paths)


def test_repeated_wrong_passwords_lock_sign_in_for_that_email(client, rep):
    for _ in range(5):
        assert login(client, rep.email, "wrong password").status_code == 401
    response = login(client, rep.email)  # even the right password now waits
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.text
    assert "tandem_session" not in response.cookies
