"""Random secrets for sessions and API tokens, and how they are stored (hashed)."""

import hashlib
import secrets

API_TOKEN_PREFIX = "tdm_"


def new_secret() -> str:
    """A fresh high-entropy URL-safe secret."""
    return secrets.token_urlsafe(32)


def new_api_token() -> str:
    """A new API token; the prefix makes leaked tokens easy to recognise in logs and scanners."""
    return API_TOKEN_PREFIX + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """The SHA-256 hex digest stored in place of a session or API token.

    The secrets are 256-bit random, so a fast hash is enough: there is nothing to brute-force.
    """
    return hashlib.sha256(secret.encode()).hexdigest()
