"""Waves: open, invite, answer by one-time link, import from CSV, close. Keyword-only functions
over a session, raising domain errors; no error message names a respondent."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from tandem import errors
from tandem.alignment.definitions import SURVEY, ensure_shipped, parse_text
from tandem.alignment.instrument import AUDIENCES, Instrument
from tandem.alignment.models import SurveyInvitation, SurveyResponse, SurveyWave, WaveStatus
from tandem.auth.models import User
from tandem.auth.roles import ROLE_TEAM, Role
from tandem.definitions import service as definitions
from tandem.definitions.models import DefinitionVersion

#: The period a wave asks about, by default: the 90 days up to the day it opens.
DEFAULT_PERIOD_DAYS = 90
MAX_IMPORT_ROWS = 2_000_000
MAX_ERRORS = 20
MAX_COMMENT = 2_000


class SurveyError(errors.DomainError, ValueError):
    """A survey step that cannot be taken (said why)."""


class WaveNotFound(SurveyError, errors.NotFound):
    pass


class LinkRefused(SurveyError, errors.Conflict):
    """A response link that is unknown, used already, or whose wave has closed."""


class BadResponses(SurveyError, errors.Invalid):
    """Responses refused as a whole; `problems` are `row N: field: reason` lines."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


# --- instruments ------------------------------------------------------------------------------


def instrument_of(*, db_session: Session, wave: SurveyWave) -> tuple[DefinitionVersion, Instrument]:
    """The instrument version a wave was opened with, parsed."""
    row = db_session.get(DefinitionVersion, wave.definition_version_id)
    if row is None:
        raise SurveyError(f"wave {wave.name!r}: its instrument version is missing")
    inst, issues = parse_text(row.text, f"survey {row.name} v{row.version}")
    if inst is None:  # the registry lost a metric since: report it rather than guess
        raise SurveyError("; ".join(str(i) for i in issues))
    return row, inst


def active_instrument(
    *, db_session: Session, name: str = "default", at: dt.datetime
) -> tuple[DefinitionVersion, Instrument]:
    """The active version of instrument `name` (the shipped ones put in force when none is)."""
    row = definitions.active(db_session=db_session, kind=SURVEY, name=name)
    if row is None:
        ensure_shipped(db_session=db_session, at=at)
        row = definitions.active(db_session=db_session, kind=SURVEY, name=name)
    if row is None:
        raise SurveyError(f"no active survey instrument called {name!r}")
    inst, issues = parse_text(row.text, f"survey {row.name} v{row.version}")
    if inst is None:
        raise SurveyError("; ".join(str(i) for i in issues))
    return row, inst


# --- waves ------------------------------------------------------------------------------------


def get_wave(*, db_session: Session, name: str) -> SurveyWave:
    wave = db_session.scalar(select(SurveyWave).where(SurveyWave.name == name))
    if wave is None:
        raise WaveNotFound(f"no survey wave called {name!r}")
    return wave


def waves(*, db_session: Session) -> list[SurveyWave]:
    """Every wave, oldest first."""
    return list(
        db_session.scalars(select(SurveyWave).order_by(SurveyWave.opened_at, SurveyWave.id))
    )


def open_wave(
    *,
    db_session: Session,
    name: str,
    at: dt.datetime,
    instrument: str = "default",
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
    min_group: int | None = None,
    user: User | None = None,
) -> SurveyWave:
    """Start a wave of the active version of `instrument` (no mail is sent)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise SurveyError("a wave's name is 1 to 100 characters")
    if db_session.scalar(select(SurveyWave.id).where(SurveyWave.name == name)) is not None:
        raise SurveyError(f"a wave called {name!r} exists already")
    row, inst = active_instrument(db_session=db_session, name=instrument, at=at)
    end = period_end or at.date()
    start = period_start or end - dt.timedelta(days=DEFAULT_PERIOD_DAYS - 1)
    if start > end:
        raise SurveyError(f"the period ends ({end}) before it starts ({start})")
    group = min_group if min_group is not None else inst.min_group
    if group < 2:
        raise SurveyError("the minimum group size is at least 2")
    wave = SurveyWave(
        name=name,
        instrument=instrument,
        definition_version_id=row.id,
        status=WaveStatus.OPEN,
        min_group=group,
        period_start=start,
        period_end=end,
        opened_at=at,
        opened_by_id=user.id if user else None,
    )
    db_session.add(wave)
    db_session.flush()
    return wave


def close_wave(*, db_session: Session, name: str, at: dt.datetime) -> SurveyWave:
    """Close a wave: its links stop working and its report is final."""
    wave = get_wave(db_session=db_session, name=name)
    done = db_session.execute(
        update(SurveyWave)
        .where(SurveyWave.id == wave.id, SurveyWave.status == WaveStatus.OPEN)
        .values(status=WaveStatus.CLOSED, closed_at=at)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if done != 1:
        raise SurveyError(f"wave {name!r} is closed already")
    db_session.refresh(wave)
    return wave


def _require_open(wave: SurveyWave) -> None:
    if wave.status != WaveStatus.OPEN:
        raise LinkRefused(f"wave {wave.name!r} has closed")


# --- invitations ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Invitee:
    email: str
    audience: str
    account_id: int | None = None


def team_invitees(*, db_session: Session, audiences: Iterable[str]) -> list[Invitee]:
    """Active users of the teams named (marketers; sales reps and managers)."""
    wanted = set(audiences)
    out = []
    for user in db_session.scalars(select(User).where(User.is_active).order_by(User.id)):
        team = ROLE_TEAM.get(Role(user.role))
        if team is not None and team.value in wanted:
            out.append(Invitee(user.email, team.value))
    return out


def customer_invitees(
    *, db_session: Session, account_ids: Iterable[int] | None = None
) -> list[Invitee]:
    """Contacts with an email at customer accounts (stage customer), or at the accounts named."""
    from tandem.contacts.models import Contact

    query = select(Contact.email, Contact.account_id).where(
        Contact.email.is_not(None), Contact.account_id.is_not(None)
    )
    ids = list(account_ids or [])
    if ids:
        query = query.where(Contact.account_id.in_(ids))
    else:
        query = query.where(Contact.lifecycle_stage == "customer")
    return [Invitee(email, "customer", account) for email, account in db_session.execute(query)]


def invite(
    *, db_session: Session, wave: SurveyWave, invitees: Iterable[Invitee], at: dt.datetime
) -> list[tuple[SurveyInvitation, str]]:
    """Invitations (with their plain one-time tokens, never stored) for the people not invited
    to this wave yet."""
    _require_open(wave)
    _, inst = instrument_of(db_session=db_session, wave=wave)
    asked = set(inst.audiences())
    taken = set(
        db_session.scalars(
            select(SurveyInvitation.email).where(SurveyInvitation.wave_id == wave.id)
        )
    )
    made = []
    for person in invitees:
        email = person.email.strip().lower()
        if person.audience not in asked or email in taken:
            continue
        taken.add(email)
        token = secrets.token_urlsafe(24)
        row = SurveyInvitation(
            wave_id=wave.id,
            audience=person.audience,
            email=email,
            account_id=person.account_id,
            token_hash=token_hash(token),
            used=False,
        )
        db_session.add(row)
        made.append((row, token))
    db_session.flush()
    return made


def renew_unanswered(
    *, db_session: Session, wave: SurveyWave, at: dt.datetime
) -> list[tuple[SurveyInvitation, str]]:
    """Reminders: a new one-time token for each unused invitation (the old link stops)."""
    _require_open(wave)
    out = []
    rows = db_session.scalars(
        select(SurveyInvitation).where(
            SurveyInvitation.wave_id == wave.id, SurveyInvitation.used.is_(False)
        )
    )
    for row in rows:
        token = secrets.token_urlsafe(24)
        row.token_hash = token_hash(token)
        out.append((row, token))
    db_session.flush()
    return out


def invitation_for(*, db_session: Session, token: str) -> tuple[SurveyInvitation, SurveyWave]:
    """The open, unused invitation a link's token names (LinkRefused otherwise)."""
    row = db_session.scalar(
        select(SurveyInvitation).where(SurveyInvitation.token_hash == token_hash(token))
    )
    if row is None:
        raise LinkRefused("this survey link is not valid")
    wave = db_session.get(SurveyWave, row.wave_id)
    assert wave is not None
    _require_open(wave)
    if row.used:
        raise LinkRefused("this survey link was used already")
    return row, wave


def respond(
    *,
    db_session: Session,
    token: str,
    answers: dict[str, str],
    at: dt.datetime,
) -> int:
    """Store one person's answers through their one-time link; the number of answers kept.

    Every field is checked before anything is stored; the link is spent with a conditional
    UPDATE, so of two submissions racing exactly one is kept. The rows carry no link to the
    invitation: only the audience (and the account, for customers)."""
    invitation, wave = invitation_for(db_session=db_session, token=token)
    _, inst = instrument_of(db_session=db_session, wave=wave)
    rows, problems = [], []
    respondent = "link:" + secrets.token_hex(16)
    account = str(invitation.account_id) if invitation.account_id else None
    for _, st in inst.statements():
        if invitation.audience not in st.audiences:
            continue
        raw = (answers.get(st.id) or "").strip()
        if not raw:
            continue  # a statement may be left unanswered
        value, comment = _value(inst, st.id, raw, problems, where=f"{st.id}")
        if value is not None or comment is not None:
            rows.append((st.id, value, comment))
    unknown = sorted(set(answers) - {s.id for _, s in inst.statements()} - {"csrf_token"})
    problems += [f"{k}: not a statement of this survey" for k in unknown[:5]]
    if problems:
        raise BadResponses(problems)
    if not rows:
        raise BadResponses(["answer at least one statement"])
    spent = db_session.execute(
        update(SurveyInvitation)
        .where(SurveyInvitation.id == invitation.id, SurveyInvitation.used.is_(False))
        .values(used=True)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if spent != 1:
        raise LinkRefused("this survey link was used already")
    db_session.execute(
        insert(SurveyResponse),
        [
            {
                "wave_id": wave.id,
                "respondent": respondent,
                "audience": invitation.audience,
                "account": account if invitation.audience == "customer" else None,
                "statement": statement,
                "answer": value,
                "comment": comment,
            }
            for statement, value, comment in rows
        ],
    )
    return len(rows)


def _value(
    inst: Instrument, statement: str, raw: str, problems: list[str], *, where: str
) -> tuple[int | None, str | None]:
    st = inst.statement(statement)
    assert st is not None
    if st.type == "text":
        if len(raw) > MAX_COMMENT:
            problems.append(f"{where}: longer than {MAX_COMMENT} characters")
        return None, raw[:MAX_COMMENT]
    lo, hi = inst.scale.min, inst.scale.max
    if not raw.isdecimal() or not lo <= int(raw) <= hi:
        problems.append(f"{where}: the answer must be a whole number from {lo} to {hi}")
        return None, None
    return int(raw), None


# --- importing --------------------------------------------------------------------------------

COLUMNS = ("respondent", "audience", "statement", "answer")


def import_responses(*, db_session: Session, wave_name: str, data: bytes) -> dict[str, int]:
    """Responses from another survey tool, as CSV (`respondent,audience,statement,answer` and
    optionally `account`). Every row is checked first; one bad row refuses the file, nothing
    stored. Respondent ids are stored hashed with the wave; errors never quote them."""
    wave = get_wave(db_session=db_session, name=wave_name)
    _require_open(wave)
    _, inst = instrument_of(db_session=db_session, wave=wave)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadResponses([f"the file is not UTF-8 (byte {exc.start})"]) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in COLUMNS if c not in header]
    extra = [c for c in header if c not in (*COLUMNS, "account")]
    if missing or extra:
        said = []
        if missing:
            said.append(f"missing column(s): {', '.join(missing)}")
        if extra:
            said.append(f"unknown column(s): {', '.join(extra)}")
        raise BadResponses(
            [f"row 1 (header): {'; '.join(said)}; expected {','.join(COLUMNS)}[,account]"]
        )
    reader.fieldnames = header
    problems: list[str] = []
    seen: dict[str, str] = {}  # respondent key -> audience
    pairs: set[tuple[str, str]] = set()
    existing = set(
        db_session.scalars(
            select(SurveyResponse.respondent).where(SurveyResponse.wave_id == wave.id).distinct()
        )
    )
    rows = []
    for number, record in enumerate(reader, start=2):
        if number > MAX_IMPORT_ROWS:
            raise BadResponses([f"more than {MAX_IMPORT_ROWS:,} rows"])
        if None in record:
            problems.append(f"row {number}: more fields than columns")
            continue
        get = {k: (v or "").strip() for k, v in record.items()}
        before = len(problems)
        who, audience, statement = get["respondent"], get["audience"], get["statement"]
        if not who or len(who) > 200:
            problems.append(f"row {number}: respondent: empty or over 200 characters")
        if audience not in AUDIENCES:
            problems.append(f"row {number}: audience: must be one of {', '.join(AUDIENCES)}")
        st = inst.statement(statement)
        if st is None:
            problems.append(f"row {number}: statement: not a statement of this wave's instrument")
        elif audience in AUDIENCES and audience not in st.audiences:
            problems.append(f"row {number}: statement: {statement} is not asked of {audience}")
        account = get.get("account") or None
        if account and len(account) > 200:
            problems.append(f"row {number}: account: over 200 characters")
        value = comment = None
        if st is not None and len(problems) == before:
            if not get["answer"]:
                problems.append(f"row {number}: answer: empty")
            else:
                value, comment = _value(
                    inst, statement, get["answer"], problems, where=f"row {number}: answer"
                )
        key = "csv:" + hashlib.sha256(f"{wave.id}:{who}".encode()).hexdigest()[:40]
        if len(problems) == before:
            if seen.setdefault(key, audience) != audience:
                problems.append(
                    f"row {number}: audience: differs from this respondent's earlier rows"
                )
            elif (key, statement) in pairs:
                problems.append(f"row {number}: statement: answered twice by one respondent")
            elif key in existing:
                problems.append(f"row {number}: respondent: already has answers in this wave")
            pairs.add((key, statement))
        if len(problems) >= MAX_ERRORS:
            problems.append("(stopped after 20 problems)")
            break
        rows.append(
            {
                "wave_id": wave.id,
                "respondent": key,
                "audience": audience,
                "account": account if audience == "customer" else None,
                "statement": statement,
                "answer": value,
                "comment": comment,
            }
        )
    if problems:
        raise BadResponses(problems)
    if not rows:
        raise BadResponses(["the file has no rows"])
    db_session.execute(insert(SurveyResponse), rows)
    return {"rows": len(rows), "respondents": len(seen)}


# --- reading ----------------------------------------------------------------------------------


def rates(*, db_session: Session, wave: SurveyWave) -> list[tuple[str, int, int]]:
    """(audience, invited, responded) per audience: invitations and respondents."""
    invited = dict(
        db_session.execute(
            select(SurveyInvitation.audience, func.count())
            .where(SurveyInvitation.wave_id == wave.id)
            .group_by(SurveyInvitation.audience)
        ).all()
    )
    answered = dict(
        db_session.execute(
            select(SurveyResponse.audience, func.count(func.distinct(SurveyResponse.respondent)))
            .where(SurveyResponse.wave_id == wave.id)
            .group_by(SurveyResponse.audience)
        ).all()
    )
    return [
        (a, int(invited.get(a, 0)), int(answered.get(a, 0)))
        for a in AUDIENCES
        if a in invited or a in answered
    ]
