"""Signing a test client in as someone and posting forms with the session's CSRF token."""

from tandem.web.csrf import CSRF_COOKIE
from tests.auth.people import sign_in


def as_user(client, db, user):
    """`client` signed in as `user`, holding the session's CSRF cookie."""
    sign_in(client, db, user)
    client.get("/login")
    return client


def post(client, url, data, **kw):
    """POST a form with the CSRF token, not following the redirect."""
    return client.post(
        url,
        data={**data, "csrf_token": client.cookies.get(CSRF_COOKIE)},
        follow_redirects=False,
        **kw,
    )
