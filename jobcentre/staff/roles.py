"""Staff roles and what each may do.

| role         | may                                                              |
|--------------|------------------------------------------------------------------|
| ``desk``     | answer kiosks' help calls; check receipts                        |
| ``counsellor``| the video queue; documents of their own visitors; check receipts |
| ``ops``      | the fleet (list, revoke, dashboard, commands, rollouts); never documents |
| ``admin``    | accounts, enrollment codes, audit log, all documents, the fleet  |

Pages ask for a ``Permission``, never for a role, so a later page (help calls, video queue,
fleet) only adds a permission here and grants it.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """A staff account's role."""

    DESK = "desk"
    COUNSELLOR = "counsellor"
    OPS = "ops"
    ADMIN = "admin"


class Permission(StrEnum):
    """Something a page or action needs."""

    CHECK_RECEIPTS = "check_receipts"
    READ_DOCUMENTS = "read_documents"
    READ_ALL_DOCUMENTS = "read_all_documents"
    VIEW_KIOSKS = "view_kiosks"
    REVOKE_KIOSKS = "revoke_kiosks"
    ISSUE_ENROLLMENT_CODES = "issue_enrollment_codes"
    READ_AUDIT_LOG = "read_audit_log"
    MANAGE_ACCOUNTS = "manage_accounts"
    VIDEO_CALLS = "video_calls"
    ANSWER_HELP_CALLS = "answer_help_calls"
    VIEW_FLEET = "view_fleet"
    MANAGE_ROLLOUTS = "manage_rollouts"
    FLEET_COMMANDS = "fleet_commands"  #: send signed remote commands to kiosks


GRANTS: dict[Role, frozenset[Permission]] = {
    Role.DESK: frozenset({Permission.CHECK_RECEIPTS, Permission.ANSWER_HELP_CALLS}),
    Role.COUNSELLOR: frozenset({Permission.CHECK_RECEIPTS, Permission.READ_DOCUMENTS,
                                Permission.VIDEO_CALLS}),
    Role.OPS: frozenset({Permission.CHECK_RECEIPTS, Permission.VIEW_KIOSKS,
                         Permission.REVOKE_KIOSKS, Permission.VIEW_FLEET,
                         Permission.MANAGE_ROLLOUTS, Permission.FLEET_COMMANDS}),
    Role.ADMIN: frozenset(Permission),
}


def parse_role(text: str) -> Role | None:
    """The role named ``text``, or None."""
    try:
        return Role(text)
    except ValueError:
        return None


def allows(role: str, permission: Permission) -> bool:
    """Whether ``role`` has ``permission`` (an unknown role has none)."""
    parsed = parse_role(role)
    return parsed is not None and permission in GRANTS[parsed]
