"""`/admin/routing/preview` and `/admin/sla/preview`: the definition editor's "check and test
with this contact" button. The page comes back with the text kept, every issue beside its
line, the diff against the version in force, and where the contact would go with the edited
text and with the one in force. Nothing is stored (proposing is `tandem.definitions.web`'s)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse

from tandem.definitions import service, views
from tandem.definitions.kinds import kind_named
from tandem.definitions.models import DefinitionVersion
from tandem.handoff.definition_preview import preview
from tandem.handoff.deps import Scores
from tandem.ids import BadId, parse_id
from tandem.web.csrf import verify_csrf
from tandem.web.deps import DbSession, PageUser
from tandem.web.pages import render

router = APIRouter(prefix="/admin", dependencies=[Depends(verify_csrf)])


def _preview_page(
    request: Request,
    db: DbSession,
    user: PageUser,
    scores: Scores,
    kind_name: str,
    text: str,
    contact: str,
    proposal: str,
) -> HTMLResponse:
    kind = kind_named(kind_name)
    if proposal.strip():  # a proposal's "test with this contact": its own text
        try:
            row = db.get(DefinitionVersion, parse_id(proposal))
        except BadId as exc:
            raise HTTPException(422, f"proposal: {exc}") from None
        if row is None or row.kind != kind.name:
            raise HTTPException(404, f"no {kind.name} version with id {proposal[:20]!r}")
        text = row.text
    try:
        shown = preview(db_session=db, kind=kind, text=text, contact=contact, scores=scores)
    except service.DefinitionError as exc:
        raise HTTPException(exc.status, str(exc)) from None
    return render(
        request,
        "definitions.html",
        422 if shown.has_errors else 200,
        user=user,
        d=views.page(db, kind, user),
        form_text=text,
        issues=views.issue_views(shown.issues),
        error=None,
        done=None,
        preview=shown,
        contact=contact,
    )


_TEXT = Form(max_length=service.MAX_TEXT)
_CONTACT = Form()  # cut to 254 characters: an id or an email
_VERSION = Form(max_length=20)


@router.post("/routing/preview", response_class=HTMLResponse)
def routing_preview(
    request: Request,
    db: DbSession,
    user: PageUser,
    scores: Scores,
    text: Annotated[str, _TEXT] = "",
    contact: Annotated[str, _CONTACT] = "",
    proposal: Annotated[str, _VERSION] = "",
) -> HTMLResponse:
    """Check routing rules being edited and route a contact with them (nothing saved)."""
    return _preview_page(request, db, user, scores, "routing", text, contact, proposal)


@router.post("/sla/preview", response_class=HTMLResponse)
def sla_preview(
    request: Request,
    db: DbSession,
    user: PageUser,
    scores: Scores,
    text: Annotated[str, _TEXT] = "",
    contact: Annotated[str, _CONTACT] = "",
    proposal: Annotated[str, _VERSION] = "",
) -> HTMLResponse:
    """Check SLA policies being edited and show a contact's policy and tier under them."""
    return _preview_page(request, db, user, scores, "sla", text, contact, proposal)
