"""Survey instruments as versioned definitions (`tandem.definitions`), kind `survey`.

A marketer proposes and a sales manager approves, or the other way round: the instrument is
the two teams' agreement on what to ask. `default` is the teams' instrument, `customer` the
customers' one; Tandem ships both (`default.yaml`, `customer.yaml`) and puts them in force,
as the system, when no version of them is active.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from sqlalchemy.orm import Session

from tandem.alignment.instrument import Instrument, parse
from tandem.auth.roles import Role
from tandem.definitions.base import Issue
from tandem.definitions.kinds import DefinitionKind

HERE = Path(__file__).parent
#: The instruments Tandem ships: definition name -> file.
SHIPPED = {"default": HERE / "default.yaml", "customer": HERE / "customer.yaml"}


def parse_text(text: str, file: str) -> tuple[Instrument | None, list[Issue]]:
    """The instrument and its issues, metrics checked against the registry."""
    inst, issues = _parsed(text, file)
    return inst, list(issues)


@lru_cache(maxsize=32)
def _parsed(text: str, file: str) -> tuple[Instrument | None, tuple[Issue, ...]]:
    # Frozen models: a report reads the same version many times (each wave of a trend).
    from tandem.metrics.service import registry

    known = registry()
    inst, issues = parse(
        text, file, known_metrics=known, units={n: m.unit for n, m in known.items()}
    )
    return inst, tuple(issues)


def _check(db_session: Session, text: str, file: str) -> Sequence[Issue]:
    return parse_text(text, file)[1]


SURVEY = DefinitionKind(
    name="survey",
    title="survey instruments",
    check=_check,
    roles=(Role.MARKETER, Role.SALES_MANAGER),
)


def ensure_shipped(*, db_session: Session, at: dt.datetime) -> list[str]:
    """Put the shipped instruments in force (proposed and approved by the system, both on the
    audit log) where no version of that name is active; the versions it made."""
    from tandem.definitions import service as definitions

    made = []
    for name, path in SHIPPED.items():
        if definitions.active(db_session=db_session, kind=SURVEY, name=name) is not None:
            continue
        row = definitions.propose(
            db_session=db_session,
            kind=SURVEY,
            text=path.read_text(encoding="utf-8"),
            user=None,
            at=at,
            source="shipped",
            name=name,
            note="the instrument Tandem ships",
        )
        definitions.approve(db_session=db_session, version_id=row.id, user=None, at=at, kind=SURVEY)
        made.append(f"survey {name} v{row.version}")
    return made
