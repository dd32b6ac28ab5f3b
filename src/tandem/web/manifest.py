"""The shell: sign-in, the home page, contacts and accounts, the core API."""

from tandem.capabilities import Capability

CAPABILITY = Capability(
    name="web",
    permissions="tandem.web.access:RULES",
    summary="Sign-in, home, contact and account pages, the core JSON API.",
    routers=("tandem.web.api:router", "tandem.web.pages:router", "tandem.web.me.pages:router"),
    tables=("tandem.web.models",),
)
