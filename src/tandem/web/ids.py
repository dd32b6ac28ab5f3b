"""The strict id type (`tandem.ids`) as route parameters: every path and query id uses these,
and tests/auth/test_ids.py fails for a route whose id parameter does not."""

from typing import Annotated

from fastapi import Path, Query

from tandem.ids import ID_RULE, MAX_ID, STRICT_ID

#: A path id (`/contacts/{contact_id}`).
PathId = Annotated[int, Path(description=ID_RULE, ge=1, le=MAX_ID), STRICT_ID]
#: An optional query-string id (`?contact=43`).
QueryId = Annotated[int | None, Query(description=ID_RULE, ge=1, le=MAX_ID), STRICT_ID]
