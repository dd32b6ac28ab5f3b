"""Target account lists in the store: apply the active `target_accounts` version, keeping
each account's membership history (joined / left per list version and tier)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tandem.accounts import definitions, targets
from tandem.accounts.models import Account, AccountScore, TargetMembership
from tandem.accounts.scores import fit_fields, open_pipeline
from tandem.auth.models import User


def account_keys(db_session: Session) -> dict[tuple[str, str], int]:
    """(domain|external_id|name, lower-cased value) -> account id."""
    out: dict[tuple[str, str], int] = {}
    for aid, domain, ext, name in db_session.execute(
        select(Account.id, Account.domain, Account.external_id, Account.name)
    ):
        for field, value in (("name", name), ("external_id", ext), ("domain", domain)):
            if value:
                out[(field, str(value).lower())] = aid
    return out


def list_fields(db_session: Session) -> dict[int, dict[str, Any]]:
    """Every account's fields as target rules see them (columns and derived figures)."""
    fields = fit_fields(db_session)
    owners = dict(
        db_session.execute(
            select(Account.id, User.email).join(User, User.id == Account.owner_id)
        ).all()
    )
    pipeline = open_pipeline(db_session)
    scores = {
        row.account_id: row
        for row in db_session.execute(
            select(
                AccountScore.account_id,
                AccountScore.total,
                AccountScore.fit,
                AccountScore.engagement,
                AccountScore.intent,
                AccountScore.coverage,
            )
        )
    }
    for aid, f in fields.items():
        f["account.owner"] = owners.get(aid)
        amount, open_deals, won = pipeline.get(aid, (0.0, 0, 0))
        f |= {
            "account.open_pipeline": amount,
            "account.open_deals": open_deals,
            "account.won_deals": won,
        }
        s = scores.get(aid)
        for key in ("total", "fit", "engagement", "intent", "coverage"):
            name = "account.score" if key == "total" else f"account.{key}"
            f[name] = float(getattr(s, key)) if s else 0.0
    return fields


def preview(db_session: Session) -> tuple[dict[int, targets.Membership], list[str], str]:
    """The memberships the active list gives now, the capacity warnings, and its label."""
    d, label = definitions.active(db_session, "target_accounts")
    fields = list_fields(db_session)
    chosen = targets.members(d, fields, account_keys(db_session))
    owners = {aid: f.get("account.owner") for aid, f in fields.items()}
    return chosen, targets.over_capacity(d, chosen, owners), label


def apply(db_session: Session, *, on: date) -> dict[str, Any]:
    """Make the stored memberships (and `accounts.is_target` / `tier`) those of the active
    list: stays that end are closed on `on`, new ones opened; unchanged ones are kept."""
    chosen, warnings, label = preview(db_session)
    d, _ = definitions.active(db_session, "target_accounts")
    version = int(label.rsplit("@", 1)[1]) if label.rsplit("@", 1)[1].isdigit() else 0
    open_rows = {
        row.account_id: row
        for row in db_session.scalars(
            select(TargetMembership).where(
                TargetMembership.list_name == d.name, TargetMembership.left_on.is_(None)
            )
        )
    }
    joined = left = 0
    for aid, row in open_rows.items():
        m = chosen.get(aid)
        if m is None or m.tier != row.tier:
            row.left_on = on
            left += 1
    for aid, m in chosen.items():
        row = open_rows.get(aid)
        if row is None or row.tier != m.tier:
            db_session.add(
                TargetMembership(
                    account_id=aid,
                    list_name=d.name,
                    list_version=version,
                    tier=m.tier,
                    reason=m.reason,
                    joined_on=on,
                )
            )
            joined += 1
    db_session.flush()
    db_session.execute(
        update(Account)
        .values(is_target=False, tier=None)
        .execution_options(synchronize_session=False)
    )
    for tier in (1, 2, 3):
        ids = [a for a, m in chosen.items() if m.tier == tier]
        for i in range(0, len(ids), 5000):
            db_session.execute(
                update(Account)
                .where(Account.id.in_(ids[i : i + 5000]))
                .values(is_target=True, tier=str(tier))
                .execution_options(synchronize_session=False)
            )
    db_session.expire_all()  # loaded accounts see the bulk update
    return {
        "list": label,
        "members": len(chosen),
        "joined": joined,
        "left": left,
        "by_tier": {t: sum(m.tier == t for m in chosen.values()) for t in (1, 2, 3)},
        "warnings": warnings,
    }


def members_on(db_session: Session, day: date, list_name: str = "default") -> dict[int, int]:
    """account -> tier of the list's members on `day` (from the history, not today's list)."""
    rows = db_session.execute(
        select(TargetMembership.account_id, TargetMembership.tier).where(
            TargetMembership.list_name == list_name,
            TargetMembership.joined_on <= day,
            (TargetMembership.left_on.is_(None)) | (TargetMembership.left_on > day),
        )
    )
    return dict(rows.all())


def history(db_session: Session, account_id: int) -> list[dict[str, Any]]:
    return [
        {
            "list": r.list_name,
            "version": r.list_version,
            "tier": r.tier,
            "reason": r.reason,
            "joined_on": r.joined_on.isoformat(),
            "left_on": r.left_on.isoformat() if r.left_on else None,
        }
        for r in db_session.scalars(
            select(TargetMembership)
            .where(TargetMembership.account_id == account_id)
            .order_by(TargetMembership.joined_on, TargetMembership.id)
        )
    ]


def csv_proposal(db_session: Session, csv_text: str) -> str:
    """The active list's YAML with the CSV's rows as members (to propose); InvalidInput names
    every bad row, nothing is proposed."""
    import yaml

    from tandem.accounts.errors import InvalidInput

    rows, problems = targets.members_from_csv(csv_text)
    keys = account_keys(db_session)
    for n, row in rows:
        m = targets.Member(**row)
        if m.key() not in keys:
            problems.append(f"row {n}: no account with {m.key()[0]} {m.key()[1]!r}")
    if problems:
        raise InvalidInput(problems)
    d, _ = definitions.active(db_session, "target_accounts")
    data = d.model_dump(mode="json", exclude_defaults=True)
    data["members"] = [m for m in data.get("members", []) if m] + [r for _, r in rows]
    return yaml.safe_dump(data, sort_keys=False)
