"""The ``kiosk-server`` command: run the intake service and administer kiosks.

Sub-commands: ``serve``, ``enroll``, ``revoke``, ``list``, ``kiosks``, ``verify-receipt``,
``export-public-key``, ``staff add|list|disable`` (staff web app accounts), ``staff
card-register|card-revoke|cards|directory-bundle`` (``jobcentre.cli_staffcards``). Expected
problems (bad database URL, unwritable directory, port in use, unknown kiosk) end with one
plain sentence on stderr and a non-zero exit code.
"""

from __future__ import annotations

import argparse
import errno
import json
import logging
import os
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from foundation.errors import ServerError, SetupError
from jobcentre.cli_staffcards import CARD_COMMANDS, add_card_commands, run_card_command

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

    serve = sub.add_parser("serve", help="run the HTTP intake service")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8443, help="0 picks a free port")
    with_db(serve)
    serve.add_argument("--max-sealed-bytes", type=int, default=None, help="upload size limit")
    serve.add_argument("--max-pages", type=int, default=None, help="page limit per document")
    serve.add_argument("--tls-cert", type=Path, help="PEM certificate (HTTPS)")
    serve.add_argument("--tls-key", type=Path, help="PEM private key (HTTPS)")
    serve.add_argument("--live-max-wait", type=float, default=None, metavar="S",
                       help="longest a live-channel poll is held open (default 25 s)")
    serve.add_argument("--live-max-waiting", type=int, default=None, metavar="N",
                       help="waiting live-channel polls per process (default 12000)")
    serve.add_argument("--staff-idle-seconds", type=int, default=None,
                       help="end staff sessions after this idle time (default 900)")

    enroll = sub.add_parser("enroll", help="print a one-time enrollment code for a new kiosk")
    with_db(enroll)
    enroll.add_argument("--name", required=True, help="kiosk name, e.g. 'Foyer 1'")

    revoke = sub.add_parser("revoke", help="refuse all further uploads from a kiosk")
    with_db(revoke)
    who = revoke.add_mutually_exclusive_group(required=True)
    who.add_argument("--name")
    who.add_argument("--kiosk-id")

    listing = sub.add_parser("list", help="list stored documents")
    with_db(listing)
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.add_argument("--customer-numbers", action="store_true",
                         help="add each document's customer number (for filing; personal data)")

    kiosks = sub.add_parser("kiosks", help="list enrolled kiosks")
    with_db(kiosks)

    verify = sub.add_parser("verify-receipt", help="check a receipt's QR text")
    with_db(verify, data_required=False)
    verify.add_argument("--public-key", help="centre signing public key for an offline "
                        "check; write --public-key=KEY (a key may start with '-')")
    verify.add_argument("payload", help="the QR text (JCR1.…)")

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
    return parser


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from jobcentre.intake import IntakeLimits
    from jobcentre.live import LiveLimits
    from jobcentre.service import create_app

    defaults = IntakeLimits()
    limits = IntakeLimits(
        max_sealed_bytes=args.max_sealed_bytes or defaults.max_sealed_bytes,
        max_pages=args.max_pages or defaults.max_pages,
    )
    if bool(args.tls_cert) != bool(args.tls_key):
        raise SetupError("--tls-cert and --tls-key go together")
    staff = None
    if args.staff_idle_seconds is not None:
        from datetime import timedelta

        from jobcentre.staff.web import StaffSettings

        if args.staff_idle_seconds < 1:
            raise SetupError("--staff-idle-seconds must be at least 1")
        staff = StaffSettings(idle=timedelta(seconds=args.staff_idle_seconds))
    sock = _bind(args.host, args.port)
    try:
        live = LiveLimits()
        live = LiveLimits(max_wait_s=args.live_max_wait or live.max_wait_s,
                          max_waiting=args.live_max_waiting or live.max_waiting)
        app = create_app(args.data, args.database, limits=limits, live_limits=live,
                         staff=staff)
        config = uvicorn.Config(
            app, log_config=None, access_log=False, timeout_graceful_shutdown=10,
            ssl_certfile=args.tls_cert, ssl_keyfile=args.tls_key, backlog=2048,
        )
        host, port = sock.getsockname()[:2]
        scheme = "https" if args.tls_cert else "http"
        print(f"kiosk-server listening on {scheme}://{host}:{port}", flush=True)
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
    return 0


def _bind(host: str, port: int) -> socket.socket:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise SetupError(f"cannot resolve host {host!r}") from exc
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise SetupError(f"port {port} on {host} is already in use") from exc
        if exc.errno == errno.EACCES:
            raise SetupError(f"no permission to listen on port {port}") from exc
        raise SetupError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    sock.set_inheritable(True)
    return sock


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


def _extensions_json(extensions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A document's note extensions for ``list --json``: verbatim, plus whether known."""
    from jobcentre.note_view import view_extensions

    return [
        {"kind": e.get("kind"), "version": e.get("version"), "known": view.known,
         "title": view.title, "data": e.get("data")}
        for e, view in zip(extensions, view_extensions(extensions), strict=True)
    ]


def _list(args: argparse.Namespace) -> int:
    from jobcentre.repository import open_repository

    repo = open_repository(args.data, args.database)
    try:
        docs = repo.list_documents()
    finally:
        repo.close()
    rows = [
        {"receipt": d.receipt_number, "kiosk": d.kiosk_id, "sha256": d.sha256,
         "document_type": d.document_type, "pages": d.pages, "received_at": d.received_at,
         "note_extensions": _extensions_json(d.note_extensions)}
        | ({"customer_number": d.transfer_note.get("customer_number")}
           if args.customer_numbers else {})
        for d in docs
    ]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for row, d in zip(rows, docs, strict=True):
        kinds = ", ".join(f"{e.get('kind')} v{e.get('version')}" for e in d.note_extensions)
        print(f"{row['received_at']}  {row['receipt']:<32} {row['document_type']:<20} "
              f"{row['pages']:>3} p.  {str(row['sha256'])[:16]}"
              + (f"  [{kinds}]" if kinds else ""))
    print(f"{len(rows)} document(s)", file=sys.stderr)
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


def _verify(args: argparse.Namespace) -> int:
    from jobcentre.receipts import check_receipt, format_check
    from jobcentre.repository import Repository, open_repository

    repo: Repository | None = None
    if args.public_key:
        from wire.protocol import ed25519_public

        try:
            ed25519_public(args.public_key)
        except ValueError as exc:
            raise SetupError("the public key is not a valid Ed25519 key") from exc
        centre_key: str = args.public_key
    elif args.data is not None:
        from jobcentre.keys import load_centre_keys

        centre_key = load_centre_keys(args.data).signing_public
    else:
        raise SetupError("give --data DIR (or --public-key KEY for an offline check)")
    if args.data is not None:
        repo = open_repository(args.data, args.database)
    try:
        check = check_receipt(args.payload, centre_key, repo)
    finally:
        if repo is not None:
            repo.close()
    print("\n".join(format_check(check)))
    return 0 if check.genuine else 1


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
    finally:
        repo.close()
    return 0


COMMANDS = {
    "serve": _serve, "enroll": _enroll, "revoke": _revoke, "list": _list, "kiosks": _kiosks,
    "verify-receipt": _verify, "export-public-key": _export, "live-send": _live_send,
    "staff": _staff,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``kiosk-server``; returns the exit code."""
    args = _parser().parse_args(argv)
    if args.command == "serve":
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: "
                            "%(message)s")
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
