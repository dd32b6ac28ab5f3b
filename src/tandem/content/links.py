"""Personal tracked links: the token a recipient gets, what is stored of it, and the key that
makes a reload count once. Pure (the clock and the randomness are passed in or standard).

A token is 32 random bytes, URL-safe (43 characters); only its SHA-256 is stored, so the
database never holds a working link and a rep cannot read one back. An open is keyed by
(share, browser, 30-minute window): a reload in the same window by the same browser is the
same view; the recipient's first browser is theirs, any other browser's open is `forwarded`,
and so is an open from a browser that first opened another contact's link (its cookie carries
an HMAC of that contact, never the id).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

TOKEN_BYTES = 32
TOKEN_LENGTH = 43  # base64url of 32 bytes, unpadded
VIEW_WINDOW_SECONDS = 1800
VISITOR_COOKIE = "tandem_cv"
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def new_token() -> str:
    """A fresh personal link token."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """What is stored of a token (hex SHA-256)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def well_formed(token: str) -> bool:
    """True when `token` could be one Tandem issued (checked before any lookup)."""
    return len(token) == TOKEN_LENGTH and set(token) <= _TOKEN_CHARS


def new_visitor() -> str:
    """A browser's visitor id (kept in a cookie on the link's path)."""
    return secrets.token_hex(8)


def well_formed_visitor(value: str | None) -> bool:
    return bool(value) and len(value) == 16 and all(c in "0123456789abcdef" for c in value)


def browser_tag(secret: str, contact_id: int) -> str:
    """Marks a browser as the one of the contact whose link it opened first, without naming
    the contact (an HMAC under the app's secret key)."""
    mac = hmac.new(secret.encode(), f"content-browser:{contact_id}".encode(), hashlib.sha256)
    return mac.hexdigest()[:16]


def read_cookie(value: str | None) -> tuple[str | None, str | None]:
    """(visitor, browser tag) from the visitor cookie; (None, None) when absent or malformed."""
    visitor, _, tag = (value or "").partition(".")
    if not well_formed_visitor(visitor) or not well_formed_visitor(tag):
        return None, None
    return visitor, tag


def view_prefix(share_id: int) -> str:
    """The idempotency-key prefix of every view of one share (a range scan finds them)."""
    return f"cv:{share_id}:"


def view_key(share_id: int, visitor: str, at: datetime) -> str:
    """The idempotency key of an open: one per share, browser and 30-minute window."""
    window = int(at.timestamp()) // VIEW_WINDOW_SECONDS
    return f"{view_prefix(share_id)}{visitor}:{window}"


def visitor_of(key: str) -> str:
    """The browser a view key names."""
    return key.split(":")[2]


def forwarded(first_key: str | None, visitor: str, tag: str | None, recipient_tag: str) -> bool:
    """An open is forwarded when the share was first opened from another browser, or when
    this browser first opened another contact's link (a link replayed by someone else)."""
    other_browser = first_key is not None and visitor_of(first_key) != visitor
    other_person = tag is not None and tag != recipient_tag
    return other_browser or other_person
