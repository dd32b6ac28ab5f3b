"""One search box on every page: contacts, accounts, deals, campaigns and content by name."""

from tandem.capabilities import Capability

CAPABILITY = Capability(
    name="search",
    summary="One box on every page finding contacts, accounts, deals, campaigns and content.",
    routers=("tandem.search.web:api", "tandem.search.web:pages"),
    permissions="tandem.search.access:RULES",
    pure=("tandem.search.terms",),
)
