"""Intent signals in the store, imported from CSV (domain, topic, strength, observed_at);
bad rows are named and nothing is written."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from sqlalchemy import insert
from sqlalchemy.orm import Session

from tandem.accounts.errors import InvalidInput
from tandem.accounts.lists import account_keys
from tandem.accounts.models import IntentSignal


def import_csv(db_session: Session, text: str, *, source: str = "import") -> int:
    keys = account_keys(db_session)
    rows, problems = [], []
    for n, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        domain = (row.get("domain") or "").strip().lower()
        topic = (row.get("topic") or "").strip()
        try:
            strength = int(row.get("strength") or 100)
            at = datetime.fromisoformat((row.get("observed_at") or "").strip())
        except ValueError as exc:
            problems.append(f"row {n}: {exc}")
            continue
        if ("domain", domain) not in keys:
            problems.append(f"row {n}: no account with domain {domain!r}")
        elif not topic or not 0 <= strength <= 100:
            problems.append(f"row {n}: needs a topic and a strength 0-100")
        else:
            rows.append(
                {
                    "account_id": keys[("domain", domain)],
                    "topic": topic[:200],
                    "strength": strength,
                    "source": source,
                    "observed_at": at if at.tzinfo else at.replace(tzinfo=UTC),
                }
            )
    if problems:
        raise InvalidInput(problems)
    if rows:
        db_session.execute(insert(IntentSignal), rows)
    return len(rows)
