"""The signature on every delivery: HMAC-SHA256 over `<timestamp>.<body>` with the
subscription's secret, sent as `X-Tandem-Signature: t=<unix seconds>,v1=<hex>`.

A receiver recomputes it from the raw body and refuses a stale timestamp (a replay). Pure.
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Tandem-Signature"
#: How old a signed timestamp a receiver should accept, in seconds (`verify`'s default).
TOLERANCE = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of `<timestamp>.<body>`."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def header(secret: str, timestamp: int, body: bytes) -> str:
    """The `X-Tandem-Signature` value: `t=<timestamp>,v1=<signature>`."""
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(secret: str, value: str, body: bytes, *, now: int, tolerance: int = TOLERANCE) -> bool:
    """True when `value` signs `body` with `secret` and its timestamp is within `tolerance`
    seconds of `now` (what a receiver does; Tandem's tests do it too)."""
    parts = dict(p.split("=", 1) for p in value.split(",") if "=" in p)
    if not parts.get("t", "").isdigit() or "v1" not in parts:
        return False
    timestamp = int(parts["t"])
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(parts["v1"], signature(secret, timestamp, body))
