"""When a failed delivery is tried again: exponential backoff, then give up. Pure."""

from __future__ import annotations

#: Attempts before a delivery is marked failed (about 4 hours of trying in all).
MAX_ATTEMPTS = 8
FIRST_DELAY_SECONDS = 30
MAX_DELAY_SECONDS = 2 * 3600


def delay_after(attempts: int) -> int | None:
    """Seconds to wait after the `attempts`-th failed attempt (30 s, 60 s, 2 min, ... capped
    at 2 h); None when it was the last one."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return min(FIRST_DELAY_SECONDS * 2 ** (attempts - 1), MAX_DELAY_SECONDS)
