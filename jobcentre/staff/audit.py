"""The staff audit log: every staff action, who, when, what, on what, from where.

Entries are appended through ``record`` only; the database refuses updates and deletes
(triggers in ``jobcentre.staff.sql``). Targets are ``document:<id>``, ``kiosk:<id>``,
``account:<name>``, ``call:<id>`` or ``appointment:<id>``; details never hold passwords,
tokens or document contents.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from jobcentre.repository import AuditEntry, StaffRepository, db_time

OK = "ok"
DENIED = "denied"
FAILED = "failed"


@dataclass(frozen=True)
class Actor:
    """Who does something: an account name and role (or the login form), and an address."""

    username: str
    role: str
    address: str


def record(
    repo: StaffRepository, actor: Actor, action: str, target: str = "",
    outcome: str = OK, detail: str = "", now: datetime | None = None,
) -> AuditEntry:
    """Append one entry to the audit log."""
    entry = AuditEntry(
        entry_id=str(uuid.uuid4()), at=db_time(now or datetime.now(UTC)),
        actor=actor.username, role=actor.role, action=action, target=target,
        address=actor.address, outcome=outcome, detail=detail[:500],
    )
    repo.append_audit(entry)
    return entry
