"""Checking that an inbound text-message webhook really comes from the provider.

The Twilio algorithm: take the full URL the provider requested (with any query string),
append each POST parameter's name and value, sorted by name (then value), compute the
HMAC-SHA1 of that string with the account's auth token as the key, and base64-encode
it. The result must equal the ``X-Twilio-Signature`` header. Pure functions, no Django.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable


def compute_signature(url: str, params: Iterable[tuple[str, str]], auth_token: str) -> str:
    """The signature of a POST to ``url`` with ``params`` (a parameter may repeat)."""
    text = url + "".join(name + value for name, value in sorted(params))
    digest = hmac.new(auth_token.encode(), text.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def signature_is_valid(
    url: str, params: Iterable[tuple[str, str]], auth_token: str, signature: str
) -> bool:
    if not auth_token or not signature:
        return False
    expected = compute_signature(url, params, auth_token)
    return hmac.compare_digest(expected.encode(), signature.encode())
