"""A background loop run for as long as the app is up: started in its lifespan, around the
lifespans other capabilities installed, and cancelled at shutdown."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from fastapi import FastAPI


def run_while_up(
    app: FastAPI, loop: Callable[[FastAPI], Coroutine[Any, Any, None]], *, when: str
) -> None:
    """Run `loop(app)` while the app is up, when the boolean setting `when` is true and the app
    is not under tests (their sessions share one connection a second thread must not use)."""
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[Any]:
        settings = app.state.settings
        wanted = getattr(settings, when) and settings.environment != "test"
        async with inner(application) as state:
            task = asyncio.create_task(loop(app)) if wanted else None
            try:
                yield state
            finally:
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task

    app.router.lifespan_context = lifespan
