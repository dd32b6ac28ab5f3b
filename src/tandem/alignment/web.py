"""The alignment page (`/alignment`), a wave's report (page, PDF, JSON) and the survey form
behind each one-time link (`/survey/{token}`, public: customers have no account)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from tandem.alignment import render, reporting, service
from tandem.alignment.models import SurveyWave
from tandem.alignment.schemas import Report
from tandem.analytics.frames import Facts
from tandem.analytics.web import FactsDep
from tandem.db import utcnow
from tandem.web.csrf import verify_csrf
from tandem.web.deps import ApiUser, DbSession, PageUser
from tandem.web.ids import PathId

pages = APIRouter(dependencies=[Depends(verify_csrf)])
api = APIRouter(prefix="/api/v1/alignment", tags=["alignment"])
public = APIRouter(dependencies=[Depends(verify_csrf)])


def _wave(db: Session, wave_id: int) -> SurveyWave:
    wave = db.get(SurveyWave, wave_id)
    if wave is None:
        raise HTTPException(404, f"no survey wave with id {wave_id}")
    return wave


def _report(db: Session, facts: Facts, wave: SurveyWave) -> Report:
    try:
        return reporting.report(db_session=db, facts=facts, as_of=utcnow(), wave_name=wave.name)
    except service.SurveyError as exc:
        raise HTTPException(exc.status, str(exc)) from None


@pages.get("/alignment", response_class=HTMLResponse)
def alignment_page(
    request: Request, db: DbSession, user: PageUser, facts: FactsDep
) -> HTMLResponse:
    latest = reporting.latest(db_session=db)
    vm = _report(db, facts, latest) if latest is not None else None
    trend = {t.wave: t for t in vm.trend} if vm else {}
    body = None
    if vm is not None:
        body = Markup(
            request.app.state.templates.get_template("alignment_report.html").render(
                layout="alignment_fragment.html", **render.context(vm)
            )
        )
    return request.app.state.templates.TemplateResponse(
        request,
        "alignment_home.html",
        {
            "user": user,
            "waves": [(w, trend.get(w.name)) for w in service.waves(db_session=db)][::-1],
            "report_html": body,
        },
    )


@pages.get("/alignment/waves/{wave_id}", response_class=HTMLResponse)
def wave_page(
    wave_id: PathId, request: Request, db: DbSession, user: PageUser, facts: FactsDep
) -> HTMLResponse:
    vm = _report(db, facts, _wave(db, wave_id))
    return request.app.state.templates.TemplateResponse(
        request,
        "alignment_report.html",
        {
            "user": user,
            "layout": "base.html",
            "waves": [w for w in service.waves(db_session=db) if w.id != wave_id],
            **render.context(vm),
        },
    )


@pages.get("/alignment/waves/{wave_id}/pdf")
def wave_pdf(wave_id: PathId, db: DbSession, user: PageUser, facts: FactsDep) -> Response:
    vm = _report(db, facts, _wave(db, wave_id))
    return Response(
        render.render_pdf(vm),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="alignment-{vm.wave_id}.pdf"'},
    )


@api.get("/waves")
def list_waves(db: DbSession, user: ApiUser) -> list[dict[str, object]]:
    """Every wave: name, instrument, status, when it opened and closed."""
    return [
        {
            "id": w.id,
            "name": w.name,
            "instrument": w.instrument,
            "status": w.status,
            "opened_at": w.opened_at.isoformat(),
            "closed_at": w.closed_at.isoformat() if w.closed_at else None,
        }
        for w in service.waves(db_session=db)
    ]


@api.get("/waves/{wave_id}", response_model=Report)
def wave_json(wave_id: PathId, db: DbSession, user: ApiUser, facts: FactsDep) -> Report:
    """A wave's report: gaps, suppressed groups, say versus do, the indexes and their trend."""
    return _report(db, facts, _wave(db, wave_id))


# --- the survey form behind a one-time link ---------------------------------------------------


def _form(
    request: Request,
    db: Session,
    token: str,
    *,
    status: int = 200,
    given: dict[str, str] | None = None,
    problems: list[str] | None = None,
    done: bool = False,
) -> HTMLResponse:
    context: dict[str, object] = {"user": None, "token": token, "done": done, "title": "Survey"}
    if not done:
        try:
            invitation, wave = service.invitation_for(db_session=db, token=token)
        except service.LinkRefused as exc:
            context["refused"] = str(exc)
            status = 404 if "not valid" in str(exc) else 410
        else:
            _, inst = service.instrument_of(db_session=db, wave=wave)
            context.update(
                title=inst.title,
                intro=inst.intro,
                statements=[
                    {"id": s.id, "type": s.type, "text": s.text_for(invitation.audience)}
                    for _, s in inst.statements()
                    if invitation.audience in s.audiences
                ],
                points=list(range(inst.scale.min, inst.scale.max + 1)),
                labels=inst.scale.labels,
                given=given or {},
                problems=problems or [],
            )
    return request.app.state.templates.TemplateResponse(
        request, "survey_form.html", context, status_code=status
    )


@public.get("/survey/{token}", response_class=HTMLResponse)
def survey_form(token: str, request: Request, db: DbSession) -> HTMLResponse:
    return _form(request, db, token[:100])


@public.post("/survey/{token}", response_class=HTMLResponse)
async def survey_answer(token: str, request: Request, db: DbSession) -> HTMLResponse:
    form = await request.form()
    answers = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    token = token[:100]
    try:
        service.respond(db_session=db, token=token, answers=answers, at=utcnow())
    except service.BadResponses as exc:
        return _form(request, db, token, status=422, given=answers, problems=exc.problems)
    except service.LinkRefused:
        return _form(request, db, token)
    return _form(request, db, token, done=True)
