"""Joint approval: a model version is proposed by one team and activated by the other.

The rule (stricter than "any other user"):

* A **marketer** proposes for marketing; a **sales manager** proposes for sales. Nobody else
  proposes: not reps, not executives, and not admins (RevOps set the file up, but a model both
  teams must trust cannot be put in force by a third party).
* Only an approver of the **other** team decides: a sales manager on marketing's proposals, a
  marketer on sales'. Admins cannot bypass this; there is no override.
* A proposal is diffed against the version active when it was proposed, and can only be
  approved while that version is still active. If another version was approved meanwhile, the
  proposal is stale (the diff the approver read is no longer what would change) and is refused.
  This is also what makes "two versions approved at once" safe: the first wins, the second is
  refused, and the unique index on `active_flag` stops a second active version even if two
  transactions race past every check.
* Approval activates the version and rescores every contact in the same transaction, so the
  active model and the stored scores change together or not at all.

Every step is written to the audit log with who and when.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from tandem.audit.service import record
from tandem.auth.models import User
from tandem.auth.roles import Role, TeamKind
from tandem.definitions.base import Issue, has_errors
from tandem.scoring import service, store
from tandem.scoring.errors import Conflict, InvalidModel, NotAllowed, VersionNotFound
from tandem.scoring.fields import KNOWN_FIELDS
from tandem.scoring.loader import load_yaml, parse_model
from tandem.scoring.model import ScoringModel
from tandem.scoring.models import ScoringModelVersion, VersionStatus

#: Who proposes for which team, and who approves each team's proposals.
PROPOSER_TEAM: dict[str, TeamKind] = {
    Role.MARKETER.value: TeamKind.MARKETING,
    Role.SALES_MANAGER.value: TeamKind.SALES,
}
APPROVER_ROLE: dict[str, str] = {
    TeamKind.MARKETING.value: Role.SALES_MANAGER.value,
    TeamKind.SALES.value: Role.MARKETER.value,
}
ENTITY = "scoring_model_version"


def proposer_team(user: User) -> TeamKind:
    """The team a user proposes for; NotAllowed for every other role."""
    team = PROPOSER_TEAM.get(user.role)
    if team is None or not user.is_active:
        raise NotAllowed(
            "only a marketer (for marketing) or a sales manager (for sales) can propose a "
            f"scoring model; you are {user.role.replace('_', ' ')}"
        )
    return team


def can_decide(user: User, version: ScoringModelVersion) -> bool:
    """True when `user` may approve or reject `version` (an approver of the other team)."""
    return (
        user.is_active
        and version.status == VersionStatus.PROPOSED
        and user.role == APPROVER_ROLE.get(version.proposed_team)
    )


def _check_decider(user: User, version: ScoringModelVersion) -> None:
    if version.status != VersionStatus.PROPOSED:
        raise Conflict(f"{version.label} is already {version.status}")
    needed = APPROVER_ROLE[version.proposed_team]
    if user.role != needed or not user.is_active:
        raise NotAllowed(
            f"{version.label} was proposed by {version.proposed_team}; only a "
            f"{needed.replace('_', ' ')} can approve or reject it (admins cannot override)"
        )


def store_field_issues(
    db_session: Session, model: ScoringModel, text: str, filename: str
) -> list[Issue]:
    """Errors for fit rules on fields the store does not have (a column or a custom field).

    `validate` only warns about unknown fields, since a file may be written before its data;
    a version proposed for this workspace must name fields that exist here.
    """
    _, source_map, _ = load_yaml(text, filename)
    known = store.column_fields() | set(KNOWN_FIELDS)
    issues = []
    for i, rule in enumerate(model.fit_rules):
        if rule.field in known or store.custom_field_exists(db_session, rule.field):
            continue
        msg = (
            f"field '{rule.field}' does not exist here (not a column, no custom field of that name)"
        )
        issues.append(source_map.issue("error", ("fit_rules", i, "field"), msg, "no-such-field"))
    return issues


def check_text(
    db_session: Session, text: str, filename: str
) -> tuple[ScoringModel | None, list[Issue]]:
    """Parse and validate YAML as a proposal for this workspace: every issue, with file:line."""
    model, issues = parse_model(text, filename=filename)
    if model is not None:
        issues = [i for i in issues if i.code != "field"] + store_field_issues(
            db_session, model, text, filename
        )
    return model, sorted(issues, key=lambda i: (i.line or 0, i.level != "error"))


def _version_issue(text: str, filename: str, message: str) -> Issue:
    _, source_map, _ = load_yaml(text, filename)
    return source_map.issue("error", ("version",), message, "version")


def get_version(db_session: Session, version_id: int, *, lock: bool = False) -> ScoringModelVersion:
    """A stored version by id (row-locked for a decision)."""
    query = select(ScoringModelVersion).where(ScoringModelVersion.id == version_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    version = db_session.scalars(query).first()
    if version is None:
        raise VersionNotFound(f"no scoring model version with id {version_id}")
    return version


def list_versions(db_session: Session) -> list[ScoringModelVersion]:
    """Every version, newest first."""
    return list(
        db_session.scalars(
            select(ScoringModelVersion).order_by(
                ScoringModelVersion.proposed_at.desc(), ScoringModelVersion.id.desc()
            )
        )
    )


def _snapshot(version: ScoringModelVersion) -> dict[str, Any]:
    return {
        "name": version.name,
        "version": version.version,
        "sha256": version.sha256,
        "status": version.status,
        "proposed_team": version.proposed_team,
    }


def propose(
    *,
    db_session: Session,
    user: User,
    yaml_text: str,
    now: datetime,
    note: str | None = None,
    filename: str = "proposal.yaml",
) -> ScoringModelVersion:
    """Store a new version as proposed by `user`'s team; InvalidModel lists every problem."""
    team = proposer_team(user)
    model, issues = check_text(db_session, yaml_text, filename)
    if model is None or has_errors(issues):
        raise InvalidModel(issues)
    newest = db_session.scalars(
        select(ScoringModelVersion)
        .where(ScoringModelVersion.name == model.name)
        .order_by(ScoringModelVersion.version.desc())
    ).first()
    if newest is not None and model.version <= newest.version:
        msg = (
            f"version {model.version} of '{model.name}' must be above the newest stored "
            f"version ({newest.version}, {newest.status}): bump `version`"
        )
        raise InvalidModel([_version_issue(yaml_text, filename, msg)])
    active = service.active_version(db_session)
    digest = service.sha256(yaml_text)
    version = ScoringModelVersion(
        name=model.name,
        version=model.version,
        yaml_text=yaml_text,
        sha256=digest,
        status=VersionStatus.PROPOSED,
        base_version_id=active.id if active else None,
        proposed_by_id=user.id,
        proposed_team=team.value,
        proposed_at=now,
        proposal_note=note,
    )
    db_session.add(version)
    db_session.flush()
    record(
        db_session=db_session,
        actor_user_id=user.id,
        action="scoring.propose",
        entity_type=ENTITY,
        entity_id=version.id,
        after={**_snapshot(version), "base": active.label if active else None, "note": note},
    )
    return version


def _retire(
    db_session: Session, version: ScoringModelVersion, now: datetime
) -> ScoringModelVersion | None:
    """Supersede the version `version` was proposed against; Conflict if it is not active now.

    A compare-and-swap: the UPDATE only matches while the base is still active, so of two
    approvals racing on the same base exactly one retires it and the other gets Conflict.
    """
    active = service.active_version(db_session)
    if version.base_version_id is None:
        if active is not None:
            raise Conflict(
                f"{version.label} was proposed when no model was active; {active.label} has "
                "been approved since. Propose it again so the diff is against the active model."
            )
        return None
    retired = db_session.execute(
        update(ScoringModelVersion)
        .where(
            ScoringModelVersion.id == version.base_version_id, ScoringModelVersion.active_flag == 1
        )
        .values(status=VersionStatus.SUPERSEDED, active_flag=None, superseded_at=now)
        .execution_options(synchronize_session=False)
    )
    if retired.rowcount != 1:
        current = active.label if active else "none"
        raise Conflict(
            f"{version.label} was proposed against a version that is no longer active (active "
            f"now: {current}); propose it again so the diff is against the active model"
        )
    return db_session.get(ScoringModelVersion, version.base_version_id, populate_existing=True)


def _settle(
    db_session: Session,
    version: ScoringModelVersion,
    status: str,
    user: User,
    now: datetime,
    note: str | None,
) -> None:
    """Record the decision on `version`: its new status, who decided, when and why."""
    version.status = status
    version.decided_by_id = user.id
    version.decided_at = now
    version.decision_note = note
    db_session.flush()


def approve(
    *, db_session: Session, user: User, version_id: int, now: datetime, note: str | None = None
) -> tuple[ScoringModelVersion, service.RescoreSummary]:
    """Activate a proposal (other team's approver only) and rescore every contact with it."""
    try:
        version = get_version(db_session, version_id, lock=True)
        _check_decider(user, version)
        model = service.model_of(version)  # stored text was valid when proposed; still parses
        previous = _retire(db_session, version, now)
        version.active_flag = 1
        _settle(db_session, version, VersionStatus.ACTIVE, user, now, note)
    except (IntegrityError, OperationalError) as exc:
        # Another transaction activated a version between our checks and this write: the
        # unique index refuses a second active row (PostgreSQL), or SQLite refuses to let a
        # transaction that read the old state write after another one committed.
        if isinstance(exc, OperationalError) and "locked" not in str(exc):
            raise
        raise Conflict("another scoring model version was approved at the same moment") from None
    summary = service.rescore_all(db_session=db_session, version=version, as_of=now, model=model)
    record(
        db_session=db_session,
        actor_user_id=user.id,
        action="scoring.approve",
        entity_type=ENTITY,
        entity_id=version.id,
        before={"active": previous.label if previous else None},
        after={**_snapshot(version), "note": note, "rescore": summary.as_dict()},
    )
    return version, summary


def reject(
    *, db_session: Session, user: User, version_id: int, now: datetime, note: str | None = None
) -> ScoringModelVersion:
    """Turn a proposal down (other team's approver only); the reason is kept and audited."""
    version = get_version(db_session, version_id, lock=True)
    _check_decider(user, version)
    before = _snapshot(version)
    _settle(db_session, version, VersionStatus.REJECTED, user, now, note)
    record(
        db_session=db_session,
        actor_user_id=user.id,
        action="scoring.reject",
        entity_type=ENTITY,
        entity_id=version.id,
        before=before,
        after={**_snapshot(version), "note": note},
    )
    return version
