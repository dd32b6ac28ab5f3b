"""The SLA scheduler inside `tandem serve`: a background task started by the app's lifespan
when TANDEM_SLA_SCHEDULER is true, running `run_tick` every TANDEM_SLA_TICK_SECONDS.

With several workers each runs its own loop; that is safe because every tick step is
idempotent (unique keys in the database), only wasteful. For many workers, leave the setting
off and run `tandem sla tick` from cron instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from tandem.db import session_scope, utcnow
from tandem.definitions.base import ConfigError
from tandem.handoff.intake import CONFIG_KEY
from tandem.handoff.mail import link_base, mailer_for
from tandem.handoff.runtime import ConfigCache, HandoffNotConfigured
from tandem.handoff.schemas import TickReport
from tandem.handoff.scores import ScoreProvider, table_scores
from tandem.handoff.tick import run_tick
from tandem.settings import Settings

log = logging.getLogger("tandem.handoff.scheduler")


def config_cache(app: FastAPI) -> ConfigCache:
    """The app's handoff configuration cache, created on first use and shared with the app's
    event bus (so the MQL-moment routing parses the definitions once too)."""
    cache = app.state.events.cache.get(CONFIG_KEY)
    if cache is None or cache.paths != _paths(app.state.settings):
        cache = ConfigCache(*_paths(app.state.settings).values())
        app.state.events.cache[CONFIG_KEY] = cache
    return cache


def _paths(settings: Settings) -> dict[str, Path | None]:
    return {"routing": settings.routing_path, "sla": settings.sla_path}


def tick_once(
    *,
    settings: Settings,
    session_factory: sessionmaker[Session],
    cache: ConfigCache | None = None,
    as_of: dt.datetime | None = None,
    scores: ScoreProvider = table_scores,
) -> TickReport:
    """Run one tick in its own transaction (committed when it succeeds)."""
    cache = cache or ConfigCache(settings.routing_path, settings.sla_path)
    with session_scope(session_factory) as db:
        return run_tick(
            db,
            cache.get(db),
            as_of=as_of or utcnow(),
            mailer=mailer_for(settings),
            digest_hours=settings.digest_hours,
            base_url=link_base(settings),
            scores=scores,
            settings=settings,
        )


async def _loop(app: FastAPI) -> None:
    settings: Settings = app.state.settings
    said = ""  # a fresh install has no routing yet: say so once, not every tick
    while True:
        try:
            report = await asyncio.to_thread(
                tick_once,
                settings=settings,
                session_factory=app.state.session_factory,
                cache=config_cache(app),
            )
            log.info("sla tick: %s", report.model_dump_json())
            said = ""
        except HandoffNotConfigured as exc:
            if str(exc) != said:
                log.warning("sla ticks wait for approved routing and SLA: %s", exc)
                said = str(exc)
        except ConfigError as exc:
            log.error("sla tick skipped, handoff configuration unusable:\n%s", exc)
        except Exception:  # keep the loop alive; the next tick retries
            log.exception("sla tick failed")
        await asyncio.sleep(settings.sla_tick_seconds)


@contextlib.asynccontextmanager
async def scheduler(app: FastAPI) -> AsyncIterator[None]:
    """Run the scheduler loop (when enabled) for as long as the context is open."""
    settings: Settings = app.state.settings
    # Not under tests: their app shares one rolled-back connection a second thread must not use.
    wanted = settings.sla_scheduler and settings.environment != "test"
    task = asyncio.create_task(_loop(app)) if wanted else None
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def install(app: FastAPI) -> None:
    """Run the scheduler inside the app's lifespan, around whatever lifespan it already has
    (so startup hooks other capabilities register keep working)."""
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[Any]:
        async with inner(application) as state, scheduler(app):
            yield state

    app.router.lifespan_context = lifespan
