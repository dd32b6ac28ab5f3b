"""Page numbers and page sizes of every list route, bounded (docs/security.md): a page number
past the last page shows the last page, and no number is so large its offset overflows."""

from typing import Annotated

from fastapi import Query

#: Highest page number a list route takes.
MAX_PAGE = 1_000_000
#: Most rows one page of a JSON list holds.
MAX_PAGE_SIZE = 500

PageNumber = Annotated[int, Query(ge=1, le=MAX_PAGE)]
PageSize = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]
