"""Keep the dashboard facts current as data arrives, without rebuilding on every request.

One `FactsCache` per app. A request checks the store's fingerprint at most every
`refresh_seconds`; when the data has changed the facts are rebuilt. With `background=True`
the request that notices the change keeps the previous facts (stamped with when they were
read) while one thread rebuilds, so page time never includes a rebuild once warm.
"""

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from tandem.analytics.frames import Facts
from tandem.analytics.snapshot import fingerprint, load_facts
from tandem.analytics.store import FactsStore
from tandem.db import utcnow

log = logging.getLogger("tandem.analytics.cache")


class FactsCache:
    """The current `Facts` of one database, refreshed when its fingerprint changes."""

    def __init__(
        self,
        *,
        refresh_seconds: float,
        background: bool,
        session_factory: Callable[[], Session] | None = None,
        store: FactsStore | None = None,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self.refresh_seconds = refresh_seconds
        self.background = background and session_factory is not None
        self.session_factory = session_factory
        self.store = store
        # Run after a background re-read (the store changed): the stored attribution's
        # incremental refresh, so deals won or changed are credited without a cron job.
        self.on_change = on_change
        self._facts: Facts | None = None
        self._print: tuple[Any, ...] | None = None
        self._checked = 0.0
        self._lock = threading.Lock()
        self._load_lock = threading.Lock()  # one read of the store at a time
        self._rebuilding = False

    def get(self, db_session: Session) -> Facts:
        """The facts for this request: cached, or rebuilt when the store has changed."""
        now = time.monotonic()
        if self._facts is not None and now - self._checked < self.refresh_seconds:
            return self._facts
        self._checked = now
        current = fingerprint(db_session=db_session)
        if self._facts is not None and current == self._print:
            return self._facts
        if self._facts is not None and self.background:
            self._rebuild_in_background(current)
            return self._facts
        with self._load_lock:
            # Another thread (the startup warm-up, say) may have just read these same facts.
            if self._facts is None or self._print != current:
                self._facts, self._print = self._load(db_session, current), current
        return self._facts

    def _load(self, db_session: Session, current: tuple[Any, ...]) -> Facts:
        facts = self.store.load(current) if self.store else None
        if facts is None:
            facts = load_facts(db_session=db_session, loaded_at=utcnow())
            if self.store:
                self.store.save(facts, current)
        return facts

    def _rebuild_in_background(self, current: tuple[Any, ...]) -> None:
        with self._lock:
            if self._rebuilding:
                return
            self._rebuilding = True

        def run() -> None:
            assert self.session_factory is not None
            try:
                with self.session_factory() as session, self._load_lock:
                    self._facts, self._print = self._load(session, current), current
                self._after_change()
            finally:
                self._rebuilding = False

        threading.Thread(target=run, name="tandem-analytics-refresh", daemon=True).start()

    def warm(self) -> None:
        """Read the facts in a background thread now, so the first page does not wait."""
        if self.session_factory is None:
            return

        def run() -> None:
            assert self.session_factory is not None
            with self.session_factory() as session:
                self.get(session)
            self._after_change()

        threading.Thread(target=run, name="tandem-analytics-warm", daemon=True).start()

    def _after_change(self) -> None:
        if self.on_change is not None:
            try:
                self.on_change()
            except Exception:  # never let it stop the dashboards' refresh
                log.exception("after-refresh hook failed")

    def invalidate(self) -> None:
        """Forget the facts, so the next request rebuilds (e.g. after an import)."""
        self._facts, self._print, self._checked = None, None, 0.0
