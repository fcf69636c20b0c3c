"""Password hashing with argon2id (argon2-cffi, RFC 9106 second recommended profile).

An unknown account name is checked against a fixed dummy hash so that a failed login takes
as long whether or not the name exists.
"""

from __future__ import annotations

import functools

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 12
MAX_LENGTH = 1024

_HASHER = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=4, type=Type.ID)


def check_password_rules(password: str) -> str | None:
    """Why ``password`` is not acceptable for a new account, or None."""
    if len(password) < MIN_LENGTH:
        return f"the password must have at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"the password must have at most {MAX_LENGTH} characters"
    return None


def hash_password(password: str) -> str:
    """An argon2id hash (with its own random salt and parameters) of ``password``."""
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``; never raises for a wrong one."""
    try:
        return bool(_HASHER.verify(password_hash, password[:MAX_LENGTH]))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with other parameters than today's."""
    return bool(_HASHER.check_needs_rehash(password_hash))


@functools.cache
def _dummy_hash() -> str:
    return _HASHER.hash("not a password of anyone")


def burn_time(password: str) -> None:
    """Spend the time of one verification (for account names that do not exist)."""
    verify_password(_dummy_hash(), password)
