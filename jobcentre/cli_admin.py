"""``kiosk-server`` sub-commands that reach stored documents, and the at-rest key commands.

``list``, ``verify-receipt``, ``export``, ``keygen-kek`` and ``migrate-at-rest``. Whatever
shows personal data or consults the job centre's records for a staff member names the staff
account it acts for (``--as USER``: an existing, enabled admin or counsellor account) and is
written to the audit log (``jobcentre.staff.audit``) with the address ``cli:<os user>``;
``export`` reads through ``jobcentre.staff.documents.read_document`` like the staff web app.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from foundation.errors import ApiError, SetupError
from jobcentre.repository import Repository
from jobcentre.staff import audit

CLI_ROLES = ("admin", "counsellor")
WithDb = Callable[..., None]


def add_parsers(sub: Any, with_db: WithDb) -> None:
    """Register this module's sub-commands on the ``kiosk-server`` parser."""
    listing = sub.add_parser("list", help="list stored documents")
    with_kek(listing, with_db)
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.add_argument("--customer-numbers", action="store_true",
                         help="add each document's customer number (personal data; needs --as)")
    listing.add_argument("--customer-number", metavar="N",
                         help="only the documents of this customer or BG number (needs --as)")
    as_user(listing)

    verify = sub.add_parser("verify-receipt", help="check a receipt's QR text")
    with_db(verify, data_required=False)
    verify.add_argument("--public-key", help="centre signing public key for an offline "
                        "check; write --public-key=KEY (a key may start with '-')")
    as_user(verify)
    verify.add_argument("payload", help="the QR text (JCR1.…)")

    export = sub.add_parser("export", help="write one stored document (decrypted) for a staff "
                            "member; audited")
    with_kek(export, with_db)
    as_user(export)
    export.add_argument("--document", required=True, metavar="ID", help="document id")
    export.add_argument("--out", type=Path, help="output file (new, mode 0600; default stdout)")

    keygen = sub.add_parser("keygen-kek", help="write a new key-encryption key (mode 0600)")
    keygen.add_argument("path", type=Path, help="new file, outside the data directory")

    migrate = sub.add_parser("migrate-at-rest", help="encrypt documents stored in plaintext "
                             "by an older release (serve also does it when it starts)")
    with_kek(migrate, with_db)


def with_kek(parser: argparse.ArgumentParser, with_db: WithDb) -> None:
    """``--data``, ``--database`` and ``--kek-file``."""
    with_db(parser)
    parser.add_argument("--kek-file", type=Path, metavar="PATH",
                        help="key-encryption key (default: the systemd credential "
                        "kiosk-server-kek); never inside the data directory")


def as_user(parser: argparse.ArgumentParser) -> None:
    """``--as USER``."""
    parser.add_argument("--as", dest="as_user", metavar="STAFF_USER",
                        help="the staff account (admin or counsellor) this is done for; audited")


def cli_actor(repo: Repository, username: str) -> audit.Actor:
    """The audit actor for ``--as USER``; SetupError unless an enabled admin or counsellor."""
    from jobcentre.staff.accounts import normalise_username

    account = repo.get_staff(normalise_username(username))
    if account is None or account.disabled_at is not None or account.role not in CLI_ROLES:
        raise SetupError(f"--as {username}: no enabled admin or counsellor account of that name")
    return audit.Actor(account.username, account.role, f"cli:{getpass.getuser()}"[:64])


def _rows(docs: list[Any], numbers: bool) -> list[dict[str, Any]]:
    from jobcentre.note_view import view_extensions

    return [
        {"receipt": d.receipt_number, "kiosk": d.kiosk_id, "sha256": d.sha256,
         "document_type": d.document_type, "pages": d.pages, "received_at": d.received_at,
         "document_id": d.document_id,
         "note_extensions": [
             {"kind": e.get("kind"), "version": e.get("version"), "known": view.known,
              "title": view.title, "data": e.get("data")}
             for e, view in zip(d.note_extensions, view_extensions(d.note_extensions),
                                strict=True)]}
        | ({"customer_number": d.transfer_note.get("customer_number")} if numbers else {})
        for d in docs
    ]


def run_list(args: argparse.Namespace) -> int:
    """``list``: every document; with ``--as`` customer numbers or a number search."""
    from jobcentre.atrest_kek import open_at_rest
    from jobcentre.repository import open_repository
    from jobcentre.staff.documents import find_documents, may_read

    personal = args.customer_numbers or args.customer_number is not None
    if personal and not args.as_user:
        raise SetupError("customer numbers are personal data: name the staff account you act "
                         "for with --as USER (an admin or counsellor); the access is audited")
    at_rest = _optional_at_rest(args) if not personal else open_at_rest(args.kek_file, args.data)
    repo = open_repository(args.data, args.database, at_rest)
    try:
        if args.customer_number is not None:
            actor = cli_actor(repo, args.as_user)
            docs = list(reversed(find_documents(repo, at_rest, actor, args.customer_number)))
        elif args.customer_numbers:
            actor = cli_actor(repo, args.as_user)
            docs = [d for d in repo.list_documents() if may_read(repo, actor, d)]
            audit.record(repo, actor, "document.list", detail=f"customer_numbers "
                         f"count={len(docs)}")
        else:
            docs = repo.list_documents()
    finally:
        repo.close()
    if any(d.locked for d in docs):
        print("kiosk-server: personal fields (note extensions) are sealed at rest; give "
              "--kek-file to show them", file=sys.stderr)
    rows = _rows(docs, args.customer_numbers)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for row, d in zip(rows, docs, strict=True):
        kinds = ", ".join(f"{e.get('kind')} v{e.get('version')}" for e in d.note_extensions)
        number = f"  {row['customer_number'] or '-'}" if args.customer_numbers else ""
        print(f"{row['received_at']}  {row['receipt']:<32} {row['document_type']:<20} "
              f"{row['pages']:>3} p.  {str(row['sha256'])[:16]}  {d.document_id}{number}"
              + (f"  [{kinds}]" if kinds else ""))
    print(f"{len(rows)} document(s)", file=sys.stderr)
    return 0


def _optional_at_rest(args: argparse.Namespace) -> Any:
    """The sealer if a KEK is at hand (``--kek-file`` or the credential), else None."""
    from jobcentre.atrest_kek import kek_path, open_at_rest

    try:
        kek_path(args.kek_file)
    except SetupError:
        return None
    return open_at_rest(args.kek_file, args.data)


def run_verify(args: argparse.Namespace) -> int:
    """``verify-receipt``: offline by signature, or against the records for ``--as USER``."""
    from jobcentre.receipts import check_receipt, format_check
    from jobcentre.repository import open_repository

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
    if args.data is None or not args.as_user:
        if args.data is not None:
            print("kiosk-server: checking offline (signatures only); to consult the job "
                  "centre's records give --as USER (an admin or counsellor; audited)",
                  file=sys.stderr)
        check = check_receipt(args.payload, centre_key, None)
    else:
        repo = open_repository(args.data, args.database)
        try:
            actor = cli_actor(repo, args.as_user)
            check = check_receipt(args.payload, centre_key, repo)
            kiosk = str(check.receipt.get("kiosk", ""))[:100] if check.receipt else ""
            audit.record(repo, actor, "receipt.check", f"kiosk:{kiosk}" if kiosk else "",
                         detail=f"verdict={check.verdict}")
        finally:
            repo.close()
    print("\n".join(format_check(check)))
    return 0 if check.genuine else 1


_EXPORT_REFUSALS = {
    404: "no stored document has that id",
    403: "{user} may not read this document (counsellors only those of their own visitors)",
}


def run_export(args: argparse.Namespace) -> int:
    """``export``: one document, decrypted, for a staff member (audited)."""
    from jobcentre.atrest_kek import open_at_rest
    from jobcentre.docstore import DocumentStore
    from jobcentre.repository import open_repository
    from jobcentre.staff.documents import EXPORT, read_document

    if not args.as_user:
        raise SetupError("export names the staff account it acts for: give --as USER")
    if args.out is None and sys.stdout.isatty():
        raise SetupError("give --out FILE (or redirect standard output) for the PDF")
    at_rest = open_at_rest(args.kek_file, args.data)
    repo = open_repository(args.data, args.database, at_rest)
    try:
        actor = cli_actor(repo, args.as_user)
        try:
            _, content = read_document(repo, DocumentStore(args.data), at_rest,
                                       args.document.strip().lower(), actor, EXPORT)
        except ApiError as exc:
            text = _EXPORT_REFUSALS.get(exc.status, "the stored document is damaged or does "
                                        "not decrypt with this key-encryption key")
            raise SetupError(text.format(user=actor.username)) from exc
    finally:
        repo.close()
    if args.out is None:
        sys.stdout.buffer.write(content)
        sys.stdout.buffer.flush()
        return 0
    from foundation.files import write_synced

    try:
        write_synced(args.out, content)
    except FileExistsError as exc:
        raise SetupError(f"{args.out} already exists; choose a new file") from exc
    except OSError as exc:
        raise SetupError(f"cannot write {args.out}: {exc.strerror}") from exc
    print(f"wrote {len(content)} bytes to {args.out} (mode 0600)", file=sys.stderr)
    return 0


def run_keygen(args: argparse.Namespace) -> int:
    """``keygen-kek PATH``: a new key-encryption key file (0600)."""
    from jobcentre.atrest_kek import write_new_kek

    write_new_kek(args.path)
    print(f"wrote a new key-encryption key to {args.path} (mode 0600). Keep a copy apart from "
          "the data and its backups: without it no stored document can be read.")
    return 0


def run_migrate(args: argparse.Namespace) -> int:
    """``migrate-at-rest``: seal what an older release stored in plaintext."""
    from jobcentre.atrest_kek import open_at_rest
    from jobcentre.atrest_migrate import seal_legacy
    from jobcentre.docstore import DocumentStore
    from jobcentre.repository import open_repository

    at_rest = open_at_rest(args.kek_file, args.data)
    store = DocumentStore(args.data)
    repo = open_repository(args.data, args.database, at_rest)
    try:
        report = seal_legacy(repo, store, at_rest, scan=True)
    finally:
        repo.close()
    print(f"sealed {report.rows} document row(s) and {report.files} stray file(s)")
    return 0


COMMANDS = {
    "list": run_list, "verify-receipt": run_verify, "export": run_export,
    "keygen-kek": run_keygen, "migrate-at-rest": run_migrate,
}
