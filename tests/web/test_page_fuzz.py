"""Schemathesis over the HTML page routes (issue 21 asked the probing to reach the pages, not
only /api/): every page operation of the spec, positive and negative cases, sent by a signed-in
admin with the session's CSRF token; no answer may be a server error."""

import pytest
import schemathesis
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from sqlalchemy import select

from tandem.auth import service as auth
from tandem.auth.models import User
from tandem.db import utcnow
from tandem.web.csrf import CSRF_COOKIE, SESSION_COOKIE, bound_token
from tests.api.test_fuzz import SPEC, _explore, settings, token  # noqa: F401 - fixtures

#: Sign-in and sign-out change who is asking; the login form is fuzzed in tests/web.
SKIPPED = {"POST /login", "POST /logout"}
PAGES = schemathesis.openapi.from_dict(SPEC).exclude(path_regex="^/(api|openapi|docs)")
OPERATIONS = {
    f"{op.method.upper()} {op.path}": op
    for op in (result.ok() for result in PAGES.get_all_operations())
}


def test_the_spec_has_the_pages():
    assert len(OPERATIONS) >= 35 and "GET /contacts/{contact_id}" in OPERATIONS


def test_every_page_answers_without_a_server_error(client, db, token, tmp_path):  # noqa: F811
    client.app.state.settings.data_dir = tmp_path  # uploads land here
    admin = db.scalar(select(User).where(User.email == "admin@example.com"))
    secret = auth.start_session(db_session=db, user=admin, now=utcnow(), hours=1)
    db.flush()
    csrf = bound_token(secret)
    headers = {
        "Cookie": f"{SESSION_COOKIE}={secret}; {CSRF_COOKIE}={csrf}",
        "X-CSRF-Token": csrf,
    }
    failures = []
    for label, operation in sorted(OPERATIONS.items()):
        if label in SKIPPED:
            continue
        modes = [GenerationMode.POSITIVE]
        if operation.path_parameters or operation.query or operation.body:
            modes.append(GenerationMode.NEGATIVE)
        for mode in modes:
            try:
                _explore(client, operation, mode, headers, checks=[not_a_server_error], excluded=[])
            except Unsatisfiable:  # a free-text parameter (a dashboard's name) has no invalid value
                assert mode == GenerationMode.NEGATIVE
            except Exception as exc:  # every page's failure, not just the first
                failures.append(f"{label} ({mode.value}): {str(exc)[:800]}")
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("label", sorted(SKIPPED))
def test_skipped_operations_exist(label):
    assert label in OPERATIONS
