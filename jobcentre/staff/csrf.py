"""CSRF tokens for every staff form.

Logged in, the token is a synchronizer token bound to the session: an HMAC of the session's
own (secret, cookie-only) token, so it needs no storage and dies with the session. The login
form, before any session, is bound the same way to a random pre-login cookie. Every POST
without the matching token is refused with 403 before anything else happens.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

FIELD = "csrf_token"


def token_for(secret: str) -> str:
    """The form token belonging to a session (or pre-login) cookie value."""
    return hmac.new(secret.encode("ascii", "replace"), b"staff-csrf-v1",
                    hashlib.sha256).hexdigest()


def new_prelogin_secret() -> str:
    """A random value for the pre-login cookie."""
    return secrets.token_urlsafe(32)


def matches(secret: str | None, given: str | None) -> bool:
    """Whether the submitted token belongs to the cookie (constant-time compare)."""
    if not secret or not given:
        return False
    return hmac.compare_digest(token_for(secret), given)
