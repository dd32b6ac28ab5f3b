"""The live handoff configuration: the active routing and SLA definitions checked together and
against the users table (files named in the environment are imported as new versions).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.auth.models import User
from tandem.db import utcnow
from tandem.definitions.base import ConfigError, Issue, Level
from tandem.definitions.kinds import kind_named
from tandem.definitions.service import InvalidDefinition, adopt
from tandem.handoff.definitions import active_texts
from tandem.handoff.loader import HandoffFiles, check_handoff_texts
from tandem.handoff.reasons import RejectReason
from tandem.handoff.routing_rules import RoutingRules
from tandem.handoff.sla_rules import SlaConfig


class HandoffNotConfigured(RuntimeError):
    """No routing or no SLA definition has been approved yet."""


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


_ACTIVE_USERS = select(User.id, User.email).where(User.is_active)


def user_keys(db_session: Session) -> dict[str, int]:
    """Every active user by casefolded email and by id as text: how YAML may name them."""
    keys: dict[str, int] = {}
    for uid, email in db_session.execute(_ACTIVE_USERS):
        keys[email.casefold()] = uid
        keys[str(uid)] = uid
    return keys


def _yaml_keys(rules: RoutingRules) -> set[str]:
    keys = {r.user_id for t in rules.teams.values() for r in t.reps}
    return keys | {t.manager_id for t in rules.teams.values() if t.manager_id}


class ConfigCache:
    """The live configuration: the active routing and SLA definition versions in the database,
    parsed once per pair of versions and resolved against the users on every call.

    Paths (TANDEM_ROUTING_PATH / TANDEM_SLA_PATH) are only a way to import: when a file's
    content differs from the active version, it is adopted as the new active version (the
    system proposes and approves it, both audited). Held by the web app and the scheduler
    (one per process); thread-safe for reads.
    """

    def __init__(self, routing_path: Path | None = None, sla_path: Path | None = None) -> None:
        self.paths = {"routing": routing_path, "sla": sla_path}
        self._lock = threading.Lock()
        self._stamps: dict[Path, tuple[object, str | None]] = {}
        self._parsed: dict[tuple[str, str], HandoffFiles] = {}

    def get(self, db_session: Session, *, actor_user_id: int | None = None) -> HandoffConfig:
        """The current configuration; raises HandoffNotConfigured when there is no active
        version, ConfigError (every issue at file:line) when it no longer checks out."""
        self._adopt_files(db_session)
        texts = active_texts(db_session)
        missing = [kind for kind, text in texts.items() if text is None]
        if missing:
            raise HandoffNotConfigured(
                f"no approved {' and '.join(missing)} definition: a sales manager proposes one "
                "and an admin approves it (`tandem definitions import FILE --kind routing|sla`, "
                "see examples/handoff/ and docs/handoff.md)"
            )
        key = (texts["routing"] or "", texts["sla"] or "")
        with self._lock:
            files = self._parsed.get(key)
            if files is None:
                files = check_handoff_texts((key[0], "<routing>"), (key[1], "<sla>"))
                self._parsed = {key: files}  # keep one: versions change rarely
        if not files.ok:
            raise ConfigError([i for i in files.issues if i.level is Level.ERROR])
        assert files.rules is not None and files.sla is not None
        keys = user_keys(db_session)
        if any(k.casefold() not in keys for k in _yaml_keys(files.rules)):
            # Re-check with the users known, to report each unknown one at its file:line.
            found = check_handoff_texts(
                (key[0], "<routing>"), (key[1], "<sla>"), known_users=keys.keys()
            )
            raise ConfigError([i for i in found.issues if i.level is Level.ERROR])
        return HandoffConfig(rules=files.rules, sla=files.sla, user_ids=keys)

    def _adopt_files(self, db_session: Session) -> None:
        for kind, path in self.paths.items():
            if path is None:
                continue
            text = self._read(Path(path))
            if text is None:
                continue
            try:
                adopt(
                    db_session=db_session,
                    kind=kind_named(kind),
                    text=text,
                    source=f"file:{path}",
                    at=utcnow(),
                )
            except InvalidDefinition as exc:  # not adopted: the active version stays as it is
                raise ConfigError(exc.issues) from None  # type: ignore[arg-type]

    def _read(self, path: Path) -> str | None:
        """The file's text, read again only when its stamp changed."""
        stamp = _stamp(path)
        with self._lock:
            known = self._stamps.get(path)
            if known is not None and known[0] == stamp:
                return known[1]
        try:
            text: str | None = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(
                [Issue(level=Level.ERROR, message=f"cannot read file: {exc}", file=str(path))]
            ) from None
        with self._lock:
            self._stamps[path] = (stamp, text)
        return text


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size
