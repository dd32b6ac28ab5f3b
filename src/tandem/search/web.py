"""Search in the browser (`/search?q=`, and the box in the top bar) and the API
(`/api/v1/search?q=`). Handlers only translate."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from tandem.auth import permissions
from tandem.search import service
from tandem.search.schemas import SearchResults
from tandem.search.terms import MAX_QUERY, BadQuery, parse
from tandem.web.csrf import verify_csrf
from tandem.web.deps import ApiUser, DbSession, PageUser
from tandem.web.pages import render

pages = APIRouter(dependencies=[Depends(verify_csrf)])
api = APIRouter(prefix="/api/v1", tags=["search"])

#: The query as the routes take it: longer text is refused before any work (422).
QueryText = Annotated[str, Query(max_length=4 * MAX_QUERY)]
PerKind = Annotated[int, Query(ge=1, le=50)]


@api.get("/search", response_model=SearchResults)
def search_api(
    request: Request, user: ApiUser, db: DbSession, q: QueryText = "", limit: PerKind = 5
) -> SearchResults:
    """Records matching `q` that the caller may open, at most `limit` of each kind."""
    try:
        terms = parse(q)
    except BadQuery as exc:
        raise HTTPException(422, str(exc)) from None
    visible_to = permissions.visible_to(request, user)
    return service.search(db_session=db, terms=terms, visible_to=visible_to, per_kind=limit)


@pages.get("/search", response_class=HTMLResponse)
def search_page(request: Request, user: PageUser, db: DbSession, q: QueryText = "") -> HTMLResponse:
    """The results page: each kind of record in its own list, with a word when nothing matches."""
    results, error = None, None
    if q.strip():
        try:
            terms = parse(q)
        except BadQuery as exc:
            error = str(exc)
        else:
            visible_to = permissions.visible_to(request, user)
            results = service.search(db_session=db, terms=terms, visible_to=visible_to)
    return render(
        request,
        "search.html",
        status_code=422 if error else 200,
        user=user,
        q=q,
        results=results,
        error=error,
    )
