"""Request dependencies shared by the handoff pages and API, and domain-error translation."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from tandem.definitions.base import ConfigError
from tandem.handoff.runtime import HandoffConfig, HandoffNotConfigured
from tandem.handoff.scheduler import config_cache
from tandem.handoff.scores import ScoreProvider, table_scores
from tandem.web.deps import DbSession


def get_config(request: Request, db: DbSession) -> HandoffConfig:
    """The live handoff configuration; 503 naming every file:line issue when unusable."""
    try:
        return config_cache(request.app).get(db)
    except HandoffNotConfigured as exc:
        raise HTTPException(503, f"The handoff is not configured: {exc}") from None
    except ConfigError as exc:
        raise HTTPException(503, f"The handoff configuration has errors:\n{exc}") from None


def get_scores(request: Request) -> ScoreProvider:
    """The score provider: `app.state.score_provider` if one is set, else `table_scores`."""
    return getattr(request.app.state, "score_provider", None) or table_scores


Config = Annotated[HandoffConfig, Depends(get_config)]
Scores = Annotated[ScoreProvider, Depends(get_scores)]
