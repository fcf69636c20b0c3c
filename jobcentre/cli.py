"""The ``kiosk-server`` command: run the intake service and administer kiosks.

Sub-commands: ``serve``, ``enroll``, ``revoke``, ``kiosks``, ``export-public-key``,
``staff add|list|disable`` (staff web app accounts), ``staff
card-register|card-revoke|cards|directory-bundle`` (``jobcentre.cli_staffcards``); those that
reach stored documents or the at-rest key (``list``, ``verify-receipt``, ``export``,
``keygen-kek``, ``migrate-at-rest``) live in ``jobcentre.cli_admin``. Expected
problems (bad database URL, unwritable directory, port in use, unknown kiosk) end with one
plain sentence on stderr and a non-zero exit code.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from foundation.errors import ServerError
from jobcentre import cli_admin
from jobcentre.cli_serve import add_serve_parser, serve
from jobcentre.cli_staffcards import (
    CARD_COMMANDS,
    add_card_commands,
    publish_after_disable,
    run_card_command,
)
from jobcentre.fleet import cli_rollouts, cli_updates

log = logging.getLogger(__name__)


def _data(value: str) -> Path:
    return Path(value).expanduser().absolute()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiosk-server", description="Job-centre intake service for the self-service kiosks."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def with_db(p: argparse.ArgumentParser, data_required: bool = True) -> None:
        p.add_argument("--data", type=_data, required=data_required, help="data directory")
        p.add_argument("--database", metavar="URL", help="postgresql://… (default: SQLite in DATA)")

    add_serve_parser(sub, with_db, _data)

    enroll = sub.add_parser("enroll", help="print a one-time enrollment code for a new kiosk")
    with_db(enroll)
    enroll.add_argument("--name", required=True, help="kiosk name, e.g. 'Foyer 1'")

    revoke = sub.add_parser("revoke", help="refuse all further uploads from a kiosk")
    with_db(revoke)
    who = revoke.add_mutually_exclusive_group(required=True)
    who.add_argument("--name")
    who.add_argument("--kiosk-id")

    cli_admin.add_parsers(sub, with_db)
    cli_rollouts.add_parsers(sub, with_db)

    kiosks = sub.add_parser("kiosks", help="list enrolled kiosks")
    with_db(kiosks)

    export = sub.add_parser("export-public-key", help="print the centre's public keys")
    export.add_argument("--data", type=_data, required=True)

    live = sub.add_parser("live-send", help="queue a live-channel message for a kiosk "
                          "(operators' test of the channel; the running service delivers it)")
    with_db(live)
    live.add_argument("--kiosk-id", required=True)
    live.add_argument("--type", required=True, help="message type, e.g. ops.ping")
    live.add_argument("--body", default="{}", help="JSON object (default {})")
    staff = sub.add_parser("staff", help="staff web app accounts")
    staff_sub = staff.add_subparsers(dest="staff_command", required=True)
    add = staff_sub.add_parser("add", help="create an account (password read from stdin)")
    with_db(add)
    add.add_argument("--user", required=True)
    add.add_argument("--role", required=True, choices=["desk", "counsellor", "ops", "admin"])
    add.add_argument("--password-stdin", action="store_true", required=True,
                     help="read the password from the first line of standard input")
    with_db(staff_sub.add_parser("list", help="list accounts"))
    disable = staff_sub.add_parser("disable", help="disable an account and end its sessions")
    with_db(disable)
    disable.add_argument("--user", required=True)
    add_card_commands(staff_sub, with_db)
    cli_updates.add_parsers(sub, with_db)
    return parser


def _enroll(args: argparse.Namespace) -> int:
    from jobcentre.enrollment import centre_fingerprint, create_code
    from jobcentre.keys import load_centre_keys
    from jobcentre.repository import open_repository
    from wire.enrollment import format_fingerprint

    keys = load_centre_keys(args.data)
    repo = open_repository(args.data, args.database)
    try:
        code, kiosk_id = create_code(repo, keys, args.name)
    finally:
        repo.close()
    print(code)
    print(f"(kiosk id {kiosk_id}; valid for 24 hours, usable once; bound to the centre key "
          f"fingerprint {format_fingerprint(centre_fingerprint(keys))})", file=sys.stderr)
    return 0


def _revoke(args: argparse.Namespace) -> int:
    from jobcentre.repository import open_repository

    repo = open_repository(args.data, args.database)
    try:
        count = repo.revoke(kiosk_id=args.kiosk_id, name=args.name)
    finally:
        repo.close()
    if count == 0:
        print("kiosk-server: no active kiosk matches; nothing revoked", file=sys.stderr)
        return 1
    print(f"revoked {count} kiosk(s)")
    return 0


def _kiosks(args: argparse.Namespace) -> int:
    from jobcentre.repository import open_repository

    repo = open_repository(args.data, args.database)
    try:
        kiosks = repo.list_kiosks()
    finally:
        repo.close()
    for k in kiosks:
        state = f"revoked {k.revoked_at}" if k.revoked_at else "active"
        print(f"{k.kiosk_id:<30} {k.name:<30} enrolled {k.enrolled_at}  {state}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from jobcentre.keys import load_centre_keys

    keys = load_centre_keys(args.data)
    print(json.dumps({
        "centre_signing_public_key": keys.signing_public,
        "centre_encryption_public_key": keys.encryption_public,
    }, indent=2))
    return 0


def _live_send(args: argparse.Namespace) -> int:
    from jobcentre.live import LiveLimits
    from jobcentre.live_store import LiveStore
    from jobcentre.repository import open_repository

    try:
        body = json.loads(args.body)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        print("kiosk-server: --body must be a JSON object, e.g. '{\"text\": \"hi\"}'",
              file=sys.stderr)
        return 2
    repo = open_repository(args.data, args.database)
    try:
        if repo.get_kiosk(args.kiosk_id) is None:
            print(f"kiosk-server: no kiosk {args.kiosk_id!r} is enrolled", file=sys.stderr)
            return 1
        message = LiveStore(repo).add(args.kiosk_id, args.type, body, LiveLimits().message_ttl)
    finally:
        repo.close()
    print(json.dumps(message.wire(), ensure_ascii=False))
    return 0


def _staff(args: argparse.Namespace) -> int:
    from jobcentre.repository import open_repository
    from jobcentre.staff.accounts import add_account, disable_account

    if args.staff_command in CARD_COMMANDS:
        return run_card_command(args)
    password = ""
    if args.staff_command == "add":
        password = sys.stdin.readline().rstrip("\r\n")
    repo = open_repository(args.data, args.database)
    try:
        if args.staff_command == "add":
            account = add_account(repo, args.user, args.role, password)
            print(f"added staff account {account.username} ({account.role})")
        elif args.staff_command == "list":
            for a in repo.list_staff():
                state = f"disabled {a.disabled_at}" if a.disabled_at else "active"
                print(f"{a.username:<30} {a.role:<11} created {a.created_at}  {state}")
        elif not disable_account(repo, args.user):
            print("kiosk-server: no active staff account of that name", file=sys.stderr)
            return 1
        else:
            print(f"disabled staff account {args.user.strip().lower()}")
            publish_after_disable(repo, args)
    finally:
        repo.close()
    return 0


COMMANDS = {
    "serve": serve, "enroll": _enroll, "revoke": _revoke, "kiosks": _kiosks,
    "export-public-key": _export, "live-send": _live_send, "staff": _staff,
    "update": cli_updates.run,
    **cli_admin.COMMANDS,
    **cli_rollouts.COMMANDS,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``kiosk-server``; returns the exit code."""
    args = _parser().parse_args(argv)
    if args.command == "serve":
        from foundation.jsonlog import configure

        configure(getattr(args, "log_format", "text"))
        logging.getLogger("pikepdf").setLevel(logging.WARNING)
    try:
        return COMMANDS[args.command](args)
    except ServerError as exc:
        print(f"kiosk-server: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
