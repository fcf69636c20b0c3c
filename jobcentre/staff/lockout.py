"""Lockout after repeated failed logins, per account name and per address.

From the ``threshold``-th failure within ``window`` on, further attempts wait
``base_delay * 2 ** (failures - threshold)`` (at most ``max_delay``) after the last failure.
Attempts during a lockout are refused without checking the password and are not counted,
so the wait a person is told is the wait they get. A successful login clears the account's
failures (not the address's: one good password must not unlock guessing at others).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from jobcentre.repository import StaffRepository, db_time
from wire.protocol import parse_time

ACCOUNT = "account"
ADDRESS = "address"


@dataclass(frozen=True)
class LockoutPolicy:
    """Thresholds and delays of the login lockout."""

    account_threshold: int = 5
    address_threshold: int = 20
    base_delay: timedelta = timedelta(seconds=30)
    max_delay: timedelta = timedelta(minutes=15)
    window: timedelta = timedelta(hours=1)

    def delay(self, failures: int, threshold: int) -> timedelta:
        """How long to wait after the last of ``failures`` failures."""
        if failures < threshold:
            return timedelta(0)
        factor: int = 2 ** min(failures - threshold, 20)
        return min(self.base_delay * factor, self.max_delay)


def _wait(
    repo: StaffRepository, kind: str, subject: str, threshold: int,
    policy: LockoutPolicy, now: datetime,
) -> int:
    failures = repo.login_failures(kind, subject, db_time(now - policy.window))
    if not failures:
        return 0
    until = parse_time(failures[-1]) + policy.delay(len(failures), threshold)
    return max(0, int((until - now).total_seconds() + 0.999))


def seconds_locked(
    repo: StaffRepository, username: str, address: str, policy: LockoutPolicy, now: datetime
) -> int:
    """Seconds until this account name and address may try again (0: now)."""
    return max(
        _wait(repo, ACCOUNT, username, policy.account_threshold, policy, now),
        _wait(repo, ADDRESS, address, policy.address_threshold, policy, now),
    )


def register_failure(repo: StaffRepository, username: str, address: str, now: datetime) -> None:
    """Count one failed login against the name and the address."""
    repo.add_login_failure(ACCOUNT, username, db_time(now))
    repo.add_login_failure(ADDRESS, address, db_time(now))


def register_success(repo: StaffRepository, username: str) -> None:
    """Forget the account's failures after a successful login."""
    repo.clear_login_failures(ACCOUNT, username)
