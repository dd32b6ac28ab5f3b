"""Schemathesis against the app's own OpenAPI spec, in process, with an admin API token: no
5xx, every answer (status, content type, body, headers) as documented, and no route without
authentication. Bounded: a few derandomized examples per operation and generation mode."""

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, reject
from hypothesis import settings as explore
from schemathesis import GenerationMode
from schemathesis.checks import ignored_auth, negative_data_rejection, positive_data_acceptance

from tandem.auth import service as auth
from tandem.auth.models import User
from tandem.auth.roles import Role
from tandem.settings import Settings
from tandem.web.app import create_app
from tests import factories
from tests.handoff.conftest import ROUTING, SLA

SPEC = create_app(Settings(database_url="sqlite://", environment="test")).openapi()
SCHEMA = schemathesis.openapi.from_dict(SPEC).include(path_regex="^/api/")
OPERATIONS = {
    f"{op.method.upper()} {op.path}": op
    for op in (result.ok() for result in SCHEMA.get_all_operations())
}
MAX_EXAMPLES = 5
# Rules no JSON Schema can say (a date range's order, one of two fields) answer 422; the token
# is always sent (test_operation_needs_credentials goes without); and negative cases are sent for
# "no 5xx, answers as documented", not judged by whether they are refused (query strings are
# strings whatever schemathesis meant, a batch answers 200 rejecting its invalid items).
EXCLUDED = [positive_data_acceptance, ignored_auth, negative_data_rejection]


@pytest.fixture
def settings(engine, tmp_path):
    """The app fixture's settings, with the handoff configured (as in the handoff tests)."""
    routing, sla = tmp_path / "routing.yaml", tmp_path / "sla.yaml"
    routing.write_text(ROUTING)
    sla.write_text(SLA)
    return Settings(
        database_url=engine.url.render_as_string(hide_password=False),
        environment="test",
        routing_path=routing,
        sla_path=sla,
    )


@pytest.fixture
def token(db):
    """An admin's API token, the handoff's people and a little data (ids to find)."""
    people = [("admin@example.com", Role.ADMIN), ("ann@example.com", Role.SALES_REP)]
    people += [("bob@example.com", Role.SALES_REP), ("boss@example.com", Role.SALES_MANAGER)]
    users = [User(email=e, name=e, role=r.value, password_hash="-") for e, r in people]
    db.add_all(users)
    db.flush()
    account = factories.account(db)
    person = factories.contact(db, account_id=account.id)
    factories.activity(db, person)
    factories.opportunity(db, account, contacts=[(person, "champion")])
    return auth.create_api_token(db_session=db, user=users[0], name="fuzz")[1]


def _explore(client, operation, mode, headers, checks=None, excluded=EXCLUDED):
    """Up to MAX_EXAMPLES cases of `operation`, each answer judged by `checks` (default: every
    check schemathesis has) less `excluded`."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @explore(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # a failure as found: shrinking is slow
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=headers)
        kwargs.pop("cookies", None)
        try:
            request = client.build_request(**kwargs)
            request.read()  # a multipart upload is a stream: schemathesis reads it again
        except (TypeError, AttributeError):  # a value no client can send (an int as a file)
            reject()
        response = client.send(request, follow_redirects=False)  # a page's 303 is its answer
        case.validate_response(response, checks=checks, excluded_checks=excluded)

    run()


def test_every_operation_answers_as_documented(client, token):
    headers = {"Authorization": f"Bearer {token}"}
    failures = []
    for label, operation in sorted(OPERATIONS.items()):
        modes = [GenerationMode.POSITIVE]
        if operation.path_parameters or operation.query or operation.body:
            modes.append(GenerationMode.NEGATIVE)
        for mode in modes:
            try:
                _explore(client, operation, mode, headers)
            except Exception as exc:  # every operation's failure, not just the first
                failures.append(f"{label} ({mode.value}): {exc}")
    assert not failures, "\n\n".join(failures)


_IDS = (
    "contact_id",
    "account_id",
    "user_id",
    "version_id",
    "goal_id",
    "opportunity_id",
    "page",
    "token_id",
)


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_operation_needs_credentials(label, client):
    operation = OPERATIONS[label]
    path = operation.path
    for name in _IDS:
        path = path.replace("{" + name + "}", "1")  # any id: credentials are checked first
    response = client.request(operation.method.upper(), path)
    if operation.path == "/api/v1/health":
        assert response.status_code == 200
    else:
        assert response.status_code == 401, (label, response.text)
        assert response.json()["detail"]
        assert response.headers["www-authenticate"] == "Bearer"
