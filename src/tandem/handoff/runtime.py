"""The live handoff configuration: both YAML files checked together and against the users
table, cached by file stamp, and written to the audit log whenever their content changes.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.audit import service as audit
from tandem.audit.models import AuditEvent
from tandem.auth.models import User
from tandem.handoff.config import ConfigError, Level
from tandem.handoff.loader import HandoffFiles, check_handoff
from tandem.handoff.reasons import RejectReason
from tandem.handoff.routing_rules import RoutingRules
from tandem.handoff.sla_rules import SlaConfig

AUDIT_ENTITY = "handoff_config"


class HandoffNotConfigured(RuntimeError):
    """TANDEM_ROUTING_PATH or TANDEM_SLA_PATH is not set."""


@dataclass(frozen=True)
class HandoffConfig:
    """Routing rules and SLA policies, with the YAML user keys resolved to user ids."""

    rules: RoutingRules
    sla: SlaConfig
    user_ids: Mapping[str, int]  # casefolded email or id as written in YAML -> users.id
    _keys: dict[int, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        # The YAML key each user is known by (reps first, so RepState lookups line up).
        names = [r.user_id for t in self.rules.teams.values() for r in t.reps]
        names += [t.manager_id for t in self.rules.teams.values() if t.manager_id]
        for name in names:
            uid = self.user_ids.get(name.casefold())
            if uid is not None:
                self._keys.setdefault(uid, name)

    @property
    def reject_reasons(self) -> tuple[RejectReason, ...]:
        """The configured reject reasons (the built-in list when the SLA file names none)."""
        return self.sla.reject_reasons

    def user_id(self, key: str | None) -> int | None:
        """The user a YAML key names, if any."""
        return None if key is None else self.user_ids.get(key.casefold())

    def key_of(self, user_id: int | None) -> str | None:
        """The key routing uses for a user: as written in YAML, else their id as text."""
        if user_id is None:
            return None
        return self._keys.get(user_id, str(user_id))

    def managed_teams(self, user_id: int) -> list[str]:
        """Routing teams whose manager is this user."""
        return [
            name
            for name, team in self.rules.teams.items()
            if team.manager_id and self.user_id(team.manager_id) == user_id
        ]

    def managers_for(self, owner_id: int | None, team: str | None) -> set[int]:
        """Who `alert_manager` reaches: the manager of the lead's team, or of its owner."""
        managers = set()
        if team and team in self.rules.teams and self.rules.teams[team].manager_id:
            managers.add(self.user_id(self.rules.teams[team].manager_id))
        owner_key = self.key_of(owner_id)
        if owner_key is not None:
            managers.add(self.user_id(self.rules.manager_of(owner_key)))
        return {m for m in managers if m is not None}


def user_keys(db_session: Session) -> dict[str, int]:
    """Every active user by casefolded email and by id as text: how YAML may name them."""
    keys: dict[str, int] = {}
    for uid, email in db_session.execute(select(User.id, User.email).where(User.is_active)):
        keys[email.casefold()] = uid
        keys[str(uid)] = uid
    return keys


def _yaml_keys(rules: RoutingRules) -> set[str]:
    keys = {r.user_id for t in rules.teams.values() for r in t.reps}
    return keys | {t.manager_id for t in rules.teams.values() if t.manager_id}


class ConfigCache:
    """Parses the files once per change of their stamp; resolves users on every call.

    Held by the web app and the scheduler (one per process); thread-safe for reads.
    """

    def __init__(self, routing_path: Path | None, sla_path: Path | None) -> None:
        if routing_path is None or sla_path is None:
            raise HandoffNotConfigured(
                "the handoff needs TANDEM_ROUTING_PATH and TANDEM_SLA_PATH "
                "(see examples/handoff/ and docs/handoff.md)"
            )
        self.paths = (Path(routing_path), Path(sla_path))
        self._lock = threading.Lock()
        self._stamp: tuple[object, ...] | None = None
        self._files: HandoffFiles | None = None

    def get(self, db_session: Session, *, actor_user_id: int | None = None) -> HandoffConfig:
        """The current configuration; raises ConfigError (every issue at file:line)."""
        with self._lock:
            stamp = tuple(_stamp(p) for p in self.paths)
            if stamp != self._stamp or self._files is None:
                self._files, self._stamp = check_handoff(*self.paths), stamp
            files = self._files
        if not files.ok:
            raise ConfigError([i for i in files.issues if i.level is Level.ERROR])
        # Checked on every call (two indexed queries), not once per process: a transaction
        # that rolled back must not leave a change unaudited.
        audit_changes(db_session, self.paths, files.texts, actor_user_id)
        assert files.rules is not None and files.sla is not None
        keys = user_keys(db_session)
        if any(k.casefold() not in keys for k in _yaml_keys(files.rules)):
            # Re-check with the users known, to report each unknown one at its file:line.
            found = check_handoff(*self.paths, known_users=keys.keys())
            raise ConfigError([i for i in found.issues if i.level is Level.ERROR])
        return HandoffConfig(rules=files.rules, sla=files.sla, user_ids=keys)


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def audit_changes(
    db_session: Session, paths: tuple[Path, Path], texts: tuple[str, str], actor: int | None
) -> None:
    """Record a `handoff.config.change` audit event for each file whose content differs from
    the last one recorded, so every routing or SLA change in effect is on the audit log."""
    for kind, path, text in zip(("routing", "sla"), paths, texts, strict=True):
        digest = hashlib.sha256(text.encode()).hexdigest()
        last = db_session.scalar(
            select(AuditEvent.after)
            .where(AuditEvent.entity_type == AUDIT_ENTITY, AuditEvent.entity_id == kind)
            .order_by(AuditEvent.id.desc())
            .limit(1)
        )
        if last and last.get("sha256") == digest:
            continue
        audit.record(
            db_session=db_session,
            actor_user_id=actor,
            action="handoff.config.change",
            entity_type=AUDIT_ENTITY,
            entity_id=kind,
            before={"sha256": last.get("sha256")} if last else None,
            after={"sha256": digest, "path": str(path), "text": text},
        )
    db_session.flush()
