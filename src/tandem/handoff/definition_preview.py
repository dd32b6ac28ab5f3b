""" "Test with this contact": a routing or SLA text being edited (or a proposal) checked, diffed
against the version in force, and run for one contact, beside what the version in force does
for that contact. Nothing is saved: the same routing and SLA functions the MQL moment uses
(`assign.routing_test`) run against a configuration built from the texts."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.contacts.models import Contact
from tandem.definitions import service
from tandem.definitions.base import Issue, Level
from tandem.definitions.kinds import DefinitionKind
from tandem.handoff import assign
from tandem.handoff.definitions import active_texts
from tandem.handoff.loader import check_handoff_texts
from tandem.handoff.runtime import HandoffConfig, user_keys
from tandem.handoff.schemas import RoutingTest
from tandem.handoff.scores import ScoreProvider


@dataclass
class Preview:
    """What the edited text would do: its issues, its diff, and one contact routed by it and
    by the version in force (None where it cannot be run, with `note` saying why)."""

    kind: str
    issues: list[Issue]
    diff: str
    contact_id: int | None = None
    proposed: RoutingTest | None = None
    current: RoutingTest | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        """True when the text would be refused."""
        return any(i.level is Level.ERROR for i in self.issues)


def find_contact(db_session: Session, given: str) -> int | None:
    """The contact a person typed: its id, or its email (case-insensitive)."""
    given = given.strip()
    if given.isascii() and given.isdigit() and len(given) <= 12:
        return db_session.scalar(select(Contact.id).where(Contact.id == int(given)))
    return db_session.scalar(select(Contact.id).where(Contact.email == given.lower()))


def _config(db: Session, routing: str | None, sla: str | None) -> HandoffConfig | None:
    if routing is None or sla is None:
        return None
    found = check_handoff_texts((routing, "<routing>"), (sla, "<sla>"))
    if not found.ok or found.rules is None or found.sla is None:
        return None
    return HandoffConfig(rules=found.rules, sla=found.sla, user_ids=user_keys(db))


def preview(
    *,
    db_session: Session,
    kind: DefinitionKind,
    text: str,
    contact: str,
    scores: ScoreProvider,
) -> Preview:
    """Check `text` as a `kind` definition, diff it against the version in force and, when
    it has no errors and `contact` names a contact, route that contact with it and without."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    issues = service.check(db_session=db_session, kind=kind, text=text, file=f"<{kind.name}>")
    live = active_texts(db_session)
    shown = Preview(
        kind=kind.name, issues=issues, diff=service.diff_text(live[kind.name] or "", text)
    )
    if not contact.strip():
        return shown
    shown.contact_id = find_contact(db_session, contact[:254])
    if shown.contact_id is None:
        shown.notes.append(f"no contact with id or email {contact.strip()[:254]!r}")
        return shown
    edited = _config(db_session, **{**live, kind.name: text})
    current = _config(db_session, **live)
    for config, slot in ((edited, "proposed"), (current, "current")):
        if config is None:
            shown.notes.append(f"the {slot} version cannot route: it is missing or has errors")
            continue
        result = assign.routing_test(
            db_session=db_session, config=config, contact_id=shown.contact_id, scores=scores
        )
        setattr(shown, slot, result)
    return shown
