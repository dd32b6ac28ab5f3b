"""View-models of the accounts pages and API (the accounts list is `tandem.lists`): an
account's ABM panel, the ABM dashboard and the account packet. One data path: the HTML
routes render these, the JSON routes return them."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tandem.accounts import committees, definitions, journey, lists, space, tree
from tandem.accounts.models import Account, AccountScore, AccountStageSnapshot
from tandem.activities.models import Activity
from tandem.auth import visibility
from tandem.auth.visibility import Visibility
from tandem.contacts.models import Contact
from tandem.opportunities.models import Opportunity


def _latest_day(db_session: Session) -> date | None:
    return db_session.scalar(select(func.max(AccountStageSnapshot.day)))


def _weeks(as_of: datetime, n: int) -> list[date]:
    monday = as_of.date() - timedelta(days=as_of.weekday())
    return [monday - timedelta(weeks=i) for i in range(n - 1, -1, -1)]


def engagement_by_week(
    db_session: Session,
    account_id: int,
    as_of: datetime,
    *,
    weeks: int = 12,
    visible_to: Visibility = None,
) -> dict[str, Any]:
    """Activities per week of the last `weeks`, by person and by buying role."""
    starts = _weeks(as_of, weeks)
    since = datetime.combine(starts[0], datetime.min.time(), tzinfo=as_of.tzinfo)
    rows = db_session.execute(
        select(
            Contact.id, Contact.first_name, Contact.last_name, Contact.email, Activity.occurred_at
        )
        .join(Activity, Activity.contact_id == Contact.id)
        .where(
            Contact.account_id == account_id,
            Activity.occurred_at >= since,
            Activity.occurred_at <= as_of,
            visibility.contacts(visible_to),
        )
    ).all()
    roles = {
        m.contact_id: m.role for m in committees.committee(db_session, account_id, as_of=as_of)[0]
    }
    people: dict[str, list[int]] = defaultdict(lambda: [0] * weeks)
    by_role: dict[str, list[int]] = defaultdict(lambda: [0] * weeks)
    for cid, first, last, email, at in rows:
        week = (at.date() - starts[0]).days // 7
        if 0 <= week < weeks:
            name = " ".join(p for p in (first, last) if p) or email
            people[name][week] += 1
            by_role[roles.get(cid) or "no role"][week] += 1
    return {
        "weeks": [w.isoformat() for w in starts],
        "people": dict(people),
        "roles": dict(by_role),
    }


def account_panel(
    db_session: Session, account_id: int, *, as_of: datetime, visible_to: Visibility = None
) -> dict[str, Any]:
    """What the account page's ABM section shows (and /api/v1/accounts/{id}/abm returns)."""
    score = db_session.get(AccountScore, account_id)
    members, cover = committees.committee(db_session, account_id, as_of=as_of)
    stays = journey.history(db_session, account_id)
    parents = tree.parents(db_session)
    kids = [a for a, p in parents.items() if p == account_id]
    names = dict(
        db_session.execute(
            select(Account.id, Account.name).where(
                Account.id.in_([*kids, parents.get(account_id, 0)])
            )
        ).all()
    )
    own = space.whitespace(db_session, account_ids=[account_id])[account_id]
    rolled = space.whitespace(db_session, account_ids=[account_id], rollup=True)[account_id]
    return {
        "account_id": account_id,
        "score": None
        if score is None
        else {
            "total": str(score.total),
            "fit": str(score.fit),
            "engagement": str(score.engagement),
            "intent": str(score.intent),
            "coverage": str(score.coverage),
            "is_mqa": score.is_mqa,
            "mqa_at": score.mqa_at.isoformat() if score.mqa_at else None,
            "model_version": score.model_version,
            "parts": score.parts,
            "scored_at": score.scored_at.isoformat(),
        },
        "stage": stays[-1].stage if stays else journey_stage_now(db_session, account_id),
        "stage_history": [
            {
                "stage": s.stage,
                "from": s.start.isoformat(),
                "to": s.end.isoformat(),
                "days": (s.end - s.start).days + 1,
            }
            for s in stays
        ],
        "committee": {
            "template": cover.template,
            "needed": list(cover.needed),
            "covered": list(cover.covered),
            "present_not_engaged": list(cover.present_not_engaged),
            "missing": list(cover.missing),
            "suggestions": {
                r: [{"contact_id": m.contact_id, "name": m.name, "title": m.title} for m in ms]
                for r, ms in cover.suggestions.items()
            },
            "members": [
                {
                    "contact_id": m.contact_id,
                    "name": m.name,
                    "title": m.title,
                    "role": m.role,
                    "confidence": m.confidence,
                    "source": m.source,
                    "engaged": m.engaged,
                }
                for m in members
            ],
        },
        "engagement": engagement_by_week(db_session, account_id, as_of, visible_to=visible_to),
        "whitespace": own.as_dict(),
        "whitespace_rollup": rolled.as_dict(),
        "parent": {"id": parents[account_id], "name": names.get(parents[account_id])}
        if account_id in parents
        else None,
        "subsidiaries": [{"id": k, "name": names.get(k)} for k in sorted(kids)],
        "group": group_rollup(db_session, account_id, parents) if kids else None,
        "target_history": lists.history(db_session, account_id),
    }


def group_rollup(db_session: Session, account_id: int, parents: dict[int, int]) -> dict[str, Any]:
    """The account and everything below it: accounts, open pipeline, won deals, people
    engaged (`hierarchy.subtree`)."""
    from tandem.accounts.hierarchy import children, subtree
    from tandem.accounts.scores import open_pipeline

    tree_ids = subtree(account_id, children(parents))
    deals = open_pipeline(db_session)
    people = dict(
        db_session.execute(
            select(AccountScore.account_id, AccountScore.people_engaged).where(
                AccountScore.account_id.in_(tree_ids)
            )
        ).all()
    )
    return {
        "accounts": len(tree_ids),
        "open_pipeline": sum(deals.get(a, (0.0, 0, 0))[0] for a in tree_ids),
        "open_deals": sum(deals.get(a, (0.0, 0, 0))[1] for a in tree_ids),
        "won_deals": sum(deals.get(a, (0.0, 0, 0))[2] for a in tree_ids),
        "people_engaged": sum(people.get(a, 0) for a in tree_ids),
    }


def journey_stage_now(db_session: Session, account_id: int) -> str | None:
    return journey.current(db_session, account_id).get(account_id)


def dashboard(db_session: Session, *, as_of: datetime, weeks: int = 12) -> dict[str, Any]:
    """The ABM dashboard: tier funnel, engaged accounts per week, coverage per tier, MQAs."""
    d, _ = definitions.active(db_session, "account_stages")
    day = _latest_day(db_session)
    funnel: dict[str, Counter[str]] = defaultdict(Counter)
    if day is not None:
        for tier, stage, n in db_session.execute(
            select(AccountStageSnapshot.tier, AccountStageSnapshot.stage, func.count())
            .where(AccountStageSnapshot.day == day)
            .group_by(AccountStageSnapshot.tier, AccountStageSnapshot.stage)
        ):
            funnel[str(tier) if tier else "none"][stage] = n
    starts = _weeks(as_of, weeks)
    since = datetime.combine(starts[0], datetime.min.time(), tzinfo=as_of.tzinfo)
    engaged = []
    for start in starts:  # one COUNT(DISTINCT) per week: the rows stay in the database
        begin = datetime.combine(start, datetime.min.time(), tzinfo=as_of.tzinfo)
        engaged.append(
            db_session.scalar(
                select(func.count(func.distinct(Contact.account_id)))
                .join(Activity, Activity.contact_id == Contact.id)
                .where(
                    Activity.occurred_at >= begin,
                    Activity.occurred_at < min(begin + timedelta(weeks=1), as_of),
                    Contact.account_id.is_not(None),
                )
            )
            or 0
        )
    coverage = {}
    model, _ = definitions.active(db_session, "account_score")
    top = model.coverage.max if model.coverage else None
    for tier, mean_cov, n in db_session.execute(
        select(Account.tier, func.avg(AccountScore.coverage), func.count())
        .join(AccountScore, AccountScore.account_id == Account.id)
        .group_by(Account.tier)
    ):
        share = None if not top or mean_cov is None else float(mean_cov) / top
        coverage[tier or "none"] = {"accounts": n, "mean_coverage_share": share}
    mqas = Counter()
    for (at,) in db_session.execute(
        select(AccountScore.mqa_at).where(AccountScore.mqa_at >= since)
    ):
        mqas[(at.date() - starts[0]).days // 7] += 1
    return {
        "day": day.isoformat() if day else None,
        "stages": d.funnel(),
        "funnel": {t: dict(c) for t, c in sorted(funnel.items())},
        "weeks": [w.isoformat() for w in starts],
        "engaged_accounts": engaged,
        "new_mqas": [mqas.get(i, 0) for i in range(weeks)],
        "coverage": coverage,
        "mqa_handoff": (
            "accounts are not handed to sales yet (issue 17, item 5): no acceptance or SLA figures"
        ),
    }


def open_deals(db_session: Session, account_id: int) -> list[dict[str, Any]]:
    return [
        {
            "id": o.id,
            "name": o.name,
            "stage": o.stage,
            "amount": str(o.amount) if o.amount else None,
            "product": o.product_line,
        }
        for o in db_session.scalars(
            select(Opportunity).where(
                Opportunity.account_id == account_id, Opportunity.is_closed.is_(False)
            )
        )
    ]
