"""API tokens: ``kdt_<prefix><secret>``; only a SHA-256 hash is stored (the token is
random with 256 bits of entropy, so a fast hash is the right tool, as for session keys)."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "kdt_"  # noqa: S105 - a public marker, not a secret
PREFIX_LEN = 8


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def new_token() -> tuple[str, str, str]:
    """Return (raw token, lookup prefix, hash)."""
    body = secrets.token_urlsafe(32).replace("-", "x").replace("_", "y")
    raw = f"{TOKEN_PREFIX}{body}"
    return raw, body[:PREFIX_LEN], hash_token(raw)
