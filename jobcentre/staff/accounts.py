"""Staff accounts: create, list, disable, and log in (with the lockout).

Login answers are deliberately the same for an unknown name, a disabled account and a wrong
password (``LoginResult.WRONG``); only the lockout has its own answer, with the wait.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from foundation.errors import SetupError
from jobcentre.repository import StaffAccount, StaffRepository, db_time
from jobcentre.staff import lockout, passwords
from jobcentre.staff.roles import parse_role

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


class LoginResult(StrEnum):
    """How a login attempt ended."""

    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"


@dataclass(frozen=True)
class LoginOutcome:
    """The result of a login attempt; ``wait`` is the lockout in seconds."""

    result: LoginResult
    account: StaffAccount | None = None
    wait: int = 0


def normalise_username(username: str) -> str:
    """Account names are compared in lower case without surrounding blanks."""
    return username.strip().lower()


def add_account(
    repo: StaffRepository, username: str, role: str, password: str, now: datetime | None = None
) -> StaffAccount:
    """Create an account; ``SetupError`` with one sentence if anything is wrong."""
    username = normalise_username(username)
    if not USERNAME_RE.match(username):
        raise SetupError("the user name must be 2 to 64 characters: a-z, 0-9, '.', '_' or '-'")
    if parse_role(role) is None:
        raise SetupError("the role must be one of desk, counsellor, ops, admin")
    problem = passwords.check_password_rules(password)
    if problem:
        raise SetupError(problem)
    account = StaffAccount(username, role, passwords.hash_password(password),
                           db_time(now or datetime.now(UTC)))
    if not repo.add_staff(account):
        raise SetupError(f"a staff account called {username!r} already exists")
    return account


def disable_account(repo: StaffRepository, username: str, now: datetime | None = None) -> bool:
    """Disable an account and end its sessions; False if unknown or already disabled."""
    return repo.disable_staff(normalise_username(username), db_time(now or datetime.now(UTC)))


def log_in(
    repo: StaffRepository, username: str, password: str, address: str,
    policy: lockout.LockoutPolicy, now: datetime | None = None,
) -> LoginOutcome:
    """Check a login attempt against the lockout and the stored hash."""
    now = now or datetime.now(UTC)
    username = normalise_username(username)[:64]
    wait = lockout.seconds_locked(repo, username, address, policy, now)
    if wait:
        return LoginOutcome(LoginResult.LOCKED, wait=wait)
    account = repo.get_staff(username)
    if account is None or account.disabled_at is not None:
        passwords.burn_time(password)
        ok = False
    else:
        ok = passwords.verify_password(account.password_hash, password)
    if not ok or account is None:
        lockout.register_failure(repo, username, address, now)
        wait = lockout.seconds_locked(repo, username, address, policy, now)
        return LoginOutcome(LoginResult.LOCKED if wait else LoginResult.WRONG, wait=wait)
    lockout.register_success(repo, username)
    if passwords.needs_rehash(account.password_hash):
        repo.set_staff_password(username, passwords.hash_password(password))
    return LoginOutcome(LoginResult.OK, account=account)
