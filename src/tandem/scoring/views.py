"""The scoring pages' view-models, gathered once and rendered as HTML or returned as JSON."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tandem.auth.models import User
from tandem.definitions.base import Issue
from tandem.scoring import approval, mql, service, store
from tandem.scoring.diff import diff_models
from tandem.scoring.engine import score_state, state_from_activities
from tandem.scoring.errors import ScoringError
from tandem.scoring.loader import parse_model
from tandem.scoring.models import (
    ContactPrediction,
    ContactScore,
    ContactScoreHistory,
    PredictiveModelRecord,
    ScoringModelVersion,
    VersionStatus,
)
from tandem.scoring.schemas import (
    ChangeView,
    FactorView,
    HistoryPoint,
    IssueView,
    PartView,
    PredictionView,
    ScorePanel,
    ScoringHome,
    VersionDetail,
    VersionRow,
)

HISTORY_POINTS = 200


def issue_views(issues: list[Issue]) -> list[IssueView]:
    """Issues as the pages and API show them."""
    return [
        IssueView(level=i.level, line=i.line, message=i.message, text=i.format()) for i in issues
    ]


def _names(db_session: Session, versions: list[ScoringModelVersion]) -> dict[int, str]:
    ids = {v.proposed_by_id for v in versions} | {v.decided_by_id for v in versions}
    ids.discard(None)
    if not ids:
        return {}
    rows = db_session.execute(select(User.id, User.name).where(User.id.in_(ids))).all()
    return {uid: name for uid, name in rows}


def version_row(version: ScoringModelVersion, names: dict[int, str]) -> VersionRow:
    """One version in a list, with user names resolved."""
    return VersionRow(
        id=version.id,
        label=version.label,
        name=version.name,
        version=version.version,
        status=version.status,
        proposed_team=version.proposed_team,
        proposed_by=names.get(version.proposed_by_id or -1),
        proposed_at=version.proposed_at,
        decided_by=names.get(version.decided_by_id or -1),
        decided_at=version.decided_at,
        decision_note=version.decision_note,
        proposal_note=version.proposal_note,
    )


def _decide_hint(viewer: User, version: ScoringModelVersion, stale: bool) -> str:
    if version.status != VersionStatus.PROPOSED:
        return f"This version is {version.status}."
    if stale:
        return "The model it was compared with is no longer active: it must be proposed again."
    needed = approval.APPROVER_ROLE[version.proposed_team].replace("_", " ")
    if approval.can_decide(viewer, version):
        return f"You can approve or reject it as a {needed}."
    return f"Proposed by {version.proposed_team}: waiting for a {needed} to approve or reject it."


def version_detail(
    db_session: Session, version: ScoringModelVersion, viewer: User
) -> VersionDetail:
    """A version, its diff against what it would replace, and the viewer's options."""
    active = service.active_version(db_session)
    if version.status == VersionStatus.PROPOSED:
        base = active
    elif version.base_version_id:
        base = db_session.get(ScoringModelVersion, version.base_version_id)
    else:
        base = None
    stale = version.status == VersionStatus.PROPOSED and (
        (active.id if active else None) != version.base_version_id
    )
    new, issues = parse_model(version.yaml_text, filename=version.label)
    old = service.model_of(base) if base is not None and base.id != version.id else None
    diff = (
        diff_models(
            old,
            new,
            old_text=base.yaml_text if old is not None and base is not None else "",
            new_text=version.yaml_text,
            old_label=base.label if old is not None and base is not None else "(none)",
            new_label=version.label,
        )
        if new is not None
        else None
    )
    names = _names(db_session, [version])
    return VersionDetail(
        version=version_row(version, names),
        yaml_text=version.yaml_text,
        sha256=version.sha256,
        compared_with=base.label if old is not None and base is not None else None,
        changes=[
            ChangeView(
                kind=c.kind,
                section=c.section,
                key=c.key,
                summary=c.summary,
                details=list(c.details),
            )
            for c in (diff.changes if diff else ())
        ],
        text_diff=list(diff.text_diff) if diff else [],
        issues=issue_views(issues),
        can_decide=approval.can_decide(viewer, version) and not stale,
        decide_hint=_decide_hint(viewer, version, stale),
        stale=stale,
    )


def scoring_home(db_session: Session, viewer: User) -> ScoringHome:
    """Active model, pending proposals and every version."""
    versions = approval.list_versions(db_session)
    names = _names(db_session, versions)
    active = next((v for v in versions if v.active_flag == 1), None)
    try:
        approval.proposer_team(viewer)
        can_propose, hint = True, "Your proposal goes to the other team for approval."
    except ScoringError as exc:
        can_propose, hint = False, str(exc)
    scored, mqls = _score_counts(db_session)
    return ScoringHome(
        active=version_detail(db_session, active, viewer) if active else None,
        pending=[version_row(v, names) for v in versions if v.status == VersionStatus.PROPOSED],
        versions=[version_row(v, names) for v in versions],
        can_propose=can_propose,
        propose_hint=hint,
        scored_contacts=scored,
        mqls=mqls,
    )


def _score_counts(db_session: Session) -> tuple[int, int]:
    scored = db_session.scalar(select(func.count()).select_from(ContactScore)) or 0
    mqls = (
        db_session.scalar(
            select(func.count()).select_from(ContactScore).where(ContactScore.is_mql.is_(True))
        )
        or 0
    )
    return scored, mqls


def _sparkline(values: list[Decimal], width: int = 240, height: int = 48) -> str:
    if len(values) < 2:
        return ""
    low, high = float(min(values)), float(max(values))
    span = (high - low) or 1.0
    step = width / (len(values) - 1)
    return " ".join(
        f"{i * step:.1f},{height - (float(v) - low) / span * height:.1f}"
        for i, v in enumerate(values)
    )


def _prediction(db_session: Session, contact_id: int) -> PredictionView | None:
    row = db_session.execute(
        select(ContactPrediction, PredictiveModelRecord)
        .join(
            PredictiveModelRecord, ContactPrediction.predictive_model_id == PredictiveModelRecord.id
        )
        .where(ContactPrediction.contact_id == contact_id)
    ).first()
    if row is None:
        return None
    prediction, trained = row
    factors = [FactorView(feature=f["feature"], weight=f["weight"]) for f in prediction.factors]
    return PredictionView(
        score=prediction.score,
        probability=prediction.probability,
        outcome=trained.outcome,
        trained_at=trained.trained_at,
        auc=trained.auc,
        positive=[f for f in factors if f.weight > 0],
        negative=[f for f in factors if f.weight < 0],
    )


def _history(db_session: Session, contact_id: int) -> list[HistoryPoint]:
    rows = db_session.scalars(
        select(ContactScoreHistory)
        .where(ContactScoreHistory.contact_id == contact_id)
        .order_by(ContactScoreHistory.at.desc(), ContactScoreHistory.id.desc())
        .limit(HISTORY_POINTS)
    ).all()
    return [
        HistoryPoint(
            at=r.at,
            total=r.total,
            fit=r.fit,
            engagement=r.engagement,
            model_version_id=r.model_version_id,
        )
        for r in reversed(rows)
    ]


def contact_panel(db_session: Session, contact_id: int, *, as_of: datetime) -> ScorePanel:
    """The contact's rule score as of `as_of` (decayed at read time), explained, with its
    history and the predictive score. Reads only: nothing is written on a page view."""
    found = service.active_model(db_session)
    prediction = _prediction(db_session, contact_id)
    history = _history(db_session, contact_id)
    if found is None:
        return ScorePanel(
            contact_id=contact_id,
            model=None,
            as_of=as_of,
            history=history,
            prediction=prediction,
            note="No scoring model is active yet.",
        )
    version, model = found
    row = db_session.get(ContactScore, contact_id)
    if row is not None and row.model_version_id == version.id and row.state is not None:
        state = service.state_from_json(row.state)
    else:
        state = state_from_activities(
            model, store.activity_facts(db_session, model, contact_id=contact_id)
        )
    result = score_state(
        model, store.contact_facts(db_session, model, contact_id), state, as_of=as_of
    )
    described = {r.id: r.description for r in (*model.fit_rules, *model.behaviour_rules)}
    parts = [
        PartView(
            rule_id=p.rule_id,
            kind=p.kind,
            description=described.get(p.rule_id, ""),
            points=p.points,
            occurrences=p.occurrences,
            capped=p.capped,
        )
        for p in result.parts
    ]
    totals = [h.total for h in history] + [result.total]
    return ScorePanel(
        contact_id=contact_id,
        model=version.label,
        as_of=as_of,
        total=result.total,
        fit=result.fit,
        engagement=result.engagement,
        grade=result.grade,
        is_mql=result.is_mql,
        mql_rule=mql.mql_rule_text(model.mql),
        parts=parts,
        parts_sum=sum((p.points for p in parts), Decimal("0.00")),
        history=history,
        sparkline=_sparkline(totals),
        prediction=prediction,
    )
