"""The delivery subcommands of ``kiosk``: enroll, submit, outbox, sync, receipt reprint.

``kiosk/cli.py`` registers them: each has ``add_<name>_arguments(parser)`` and
``run_<name>(args, config) -> int`` (config loaded, ``--data`` applied). ``python -m
kiosk.delivery`` runs them without the UI package (used by the fault tests).

Exit codes: 0 done; 2 bad input or refused (a ``KioskError``, printed by the caller);
3 documents are still waiting because the server cannot be reached or refused the kiosk;
4 a document was rejected for good (staff must look at ``kiosk outbox``).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from foundation.errors import BackendRefused, EnrollmentError, KioskError

if TYPE_CHECKING:
    from config.model import KioskConfig
    from kiosk.delivery.outbox import Outbox
    from kiosk.delivery.uploader import SyncResult

# Each run_* imports what it uses: `kiosk outbox` must not pay for httpx, pikepdf or the
# printer driver just because `kiosk submit` needs them.

EXIT_WAITING = 3
EXIT_REJECTED = 4


def _data(config: KioskConfig) -> Path:
    return config.resolved_data_dir


def add_enroll_arguments(parser: argparse.ArgumentParser) -> None:
    """``enroll --server URL --code CODE [--ca-file PEM] [--pin-sha256 HEX]``."""
    parser.add_argument("--server", help="intake service URL, https:// unless on this machine "
                        "(default: backend.url)")
    parser.add_argument("--code", required=True, help="one-time code from `kiosk-server enroll`")
    parser.add_argument("--ca-file", type=Path, help="PEM file of the site's private CA "
                        "(default: backend.ca_file, else the public CAs)")
    parser.add_argument("--pin-sha256", help="hex SHA-256 of the server certificate's "
                        "SubjectPublicKeyInfo (default: backend.pin_sha256)")


def run_enroll(args: argparse.Namespace, config: KioskConfig) -> int:
    """Enroll this kiosk and store its certificate under <data>/identity/."""
    from kiosk.delivery.clock import ClockGuard
    from kiosk.delivery.identity import enroll
    from kiosk.delivery.outbox import Outbox
    from kiosk.delivery.tls import TlsSettings

    server = args.server or config.backend.url
    if not server:
        raise EnrollmentError("give --server URL (or set backend.url in the site config)")
    pin = args.pin_sha256 or config.backend.pin_sha256
    if pin is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", pin):
        raise EnrollmentError("--pin-sha256 must be 64 hex digits (SHA-256 of the certificate's "
                              "SubjectPublicKeyInfo)")
    tls = TlsSettings(ca_file=(args.ca_file or config.backend.ca_file),
                      pin_sha256=pin.lower() if pin else None)
    result = enroll(server, args.code, _data(config), config.backend.timeout_s, tls)
    if result.server_time is not None:
        with Outbox(_data(config)) as outbox:
            ClockGuard(outbox).learn(result.server_time)
    print(f"enrolled as kiosk {result.identity.kiosk_id} with {result.identity.server_url}")
    return 0


def add_submit_arguments(parser: argparse.ArgumentParser) -> None:
    """``submit --customer-number N [--receipt-out FILE] [--lang CODE] FILE...``."""
    parser.add_argument("--customer-number", required=True)
    parser.add_argument("--type", default="auto", dest="document_type",
                        help="document type code, e.g. payslip, bank_statement, rent, other "
                             "(default: recognised from the text of page images)")
    parser.add_argument("--lang", default="de", help="visitor language of the receipt")
    parser.add_argument("--receipt-out", type=Path, help="write the receipt's ESC/POS bytes here")
    parser.add_argument("--no-upload", action="store_true", help="only queue (the agent sends)")
    parser.add_argument("files", nargs="+", type=Path)


def run_submit(args: argparse.Namespace, config: KioskConfig) -> int:
    """Queue the files like the touch flow, try to upload, print receipt number and states."""
    from kiosk.delivery.inputs import prepare_files
    from kiosk.delivery.receipts import default_translate, state_msgid
    from kiosk.delivery.service import DeliveryService

    documents = prepare_files(args.files, args.document_type, config.scanning,
                              args.customer_number)
    with DeliveryService(config) as service:
        submission = service.submit(args.customer_number, documents)
        print(f"receipt {submission.receipt_number}", flush=True)
        for doc in submission.documents:
            print(f"queued {doc.document_id} {doc.sha256}", flush=True)
        code = 0
        if not args.no_upload:
            result = _sync(config, service.outbox, max_passes=1)
            code = _exit_code(result)
        submission = service.refresh(submission)
        for n, doc in enumerate(submission.documents, start=1):
            state = default_translate("en", state_msgid(doc))
            print(f"  {n}. {doc.document_type}, {doc.pages} page(s): {state}")
        if args.receipt_out:
            from device_drivers.printer.factory import make_encoder

            layout = service.receipt_layout(submission, args.lang)
            args.receipt_out.write_bytes(make_encoder(config.devices.printer).encode(layout))
            print(f"receipt bytes written ({args.receipt_out.stat().st_size} bytes)")
    return 0 if code == EXIT_WAITING else code  # waiting is normal: the agent sends it


def add_outbox_arguments(parser: argparse.ArgumentParser) -> None:
    """``outbox [--json]``."""
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def run_outbox(args: argparse.Namespace, config: KioskConfig) -> int:
    """Show what is queued and why it has not gone yet (no personal data)."""
    from kiosk.delivery.clock import ClockGuard
    from kiosk.delivery.outbox import Outbox

    with Outbox(_data(config)) as outbox:
        waiting = outbox.explain()
        counts = outbox.counts()
        clock = ClockGuard(outbox)
        last = clock.last_contact()
    if args.json:
        print(json.dumps({"counts": counts, "documents": waiting, "last_contact": last}, indent=2))
        return 0
    print(f"waiting: {counts['stored']}  delivered: {counts['delivered']}  "
          f"rejected: {counts['rejected']}  bytes waiting: {counts['waiting_bytes']}")
    if last is not None:
        print(f"last contact with the server: {time.ctime(last)}")
    for row in waiting:
        why = row["last_error"] or ("not tried yet" if row["attempts"] == 0 else "retrying")
        print(f"{row['receipt_number']}  {row['document_id'][:8]}  {row['document_type']:<18} "
              f"{row['state']:<8} attempts={row['attempts']:<3} reason={why}")
    return 0


def add_sync_arguments(parser: argparse.ArgumentParser) -> None:
    """``sync [--passes N]``."""
    parser.add_argument("--passes", type=int, default=3,
                        help="retries (with backoff) before giving up; default 3")


def run_sync(args: argparse.Namespace, config: KioskConfig) -> int:
    """Upload everything; exit 3 if something is left because the server is unreachable."""
    from kiosk.delivery.outbox import Outbox

    with Outbox(_data(config)) as outbox:
        outbox.recover()
        result = _sync(config, outbox, max(1, args.passes))
        left = outbox.counts()
    print(f"delivered {result.delivered}, rejected {result.rejected}, "
          f"still waiting {left['stored']}" + (f" ({result.error})" if result.error else ""))
    return _exit_code(result, left["stored"])


def _sync(config: KioskConfig, outbox: Outbox, max_passes: int) -> SyncResult:
    from kiosk.delivery.clock import ClockGuard
    from kiosk.delivery.identity import load_identity
    from kiosk.delivery.transport import ServerClient
    from kiosk.delivery.uploader import SyncResult, Uploader

    identity = load_identity(_data(config))
    if identity is None:
        raise BackendRefused("this kiosk is not enrolled yet", code="not_enrolled")
    total = SyncResult()
    with ServerClient(identity, ClockGuard(outbox), config.backend.timeout_s) as client:
        uploader = Uploader(outbox, client)
        for attempt in range(max_passes):
            result = uploader.sync()
            total.delivered += result.delivered
            total.rejected += result.rejected
            total.remaining, total.error = result.remaining, result.error
            if not result.error:
                break
            if attempt + 1 < max_passes:
                time.sleep(min(2.0 ** attempt, 10.0))
    return total


def _exit_code(result: SyncResult, waiting: int | None = None) -> int:
    if result.error or (waiting or 0) > 0:
        return EXIT_WAITING
    return EXIT_REJECTED if result.rejected else 0


def add_receipt_arguments(parser: argparse.ArgumentParser) -> None:
    """``receipt reprint RECEIPT_NUMBER [--lang CODE]``."""
    sub = parser.add_subparsers(dest="receipt_command", required=True, metavar="ACTION")
    reprint = sub.add_parser("reprint", help="print a receipt again (kept for 24 hours)")
    reprint.add_argument("receipt_number")
    reprint.add_argument("--lang", default="de")


def run_receipt(args: argparse.Namespace, config: KioskConfig) -> int:
    """Dispatch ``receipt`` actions."""
    if args.receipt_command == "reprint":
        return run_receipt_reprint(args, config)
    raise KioskError(f"unknown receipt action {args.receipt_command}")


def run_receipt_reprint(args: argparse.Namespace, config: KioskConfig) -> int:
    """Print a kept receipt again; exit 1 if the printer did not confirm."""
    from device_drivers.printer.factory import make_printer
    from kiosk.delivery.service import DeliveryService

    printer = make_printer(config.devices.printer, _data(config) / "printer")
    with DeliveryService(config) as service:
        outcome = service.reprint(args.receipt_number, printer, args.lang)
    if outcome.printed:
        print(f"receipt {outcome.receipt_number} printed")
        return 0
    print(f"receipt {outcome.receipt_number} NOT printed: {outcome.reason}", file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry (``python -m kiosk.delivery``) with the default config."""
    from config.model import KioskConfig

    parser = argparse.ArgumentParser(prog="python -m kiosk.delivery")
    sub = parser.add_subparsers(dest="command", required=True)
    commands = {
        "enroll": (add_enroll_arguments, run_enroll),
        "submit": (add_submit_arguments, run_submit),
        "outbox": (add_outbox_arguments, run_outbox),
        "sync": (add_sync_arguments, run_sync),
        "receipt": (add_receipt_arguments, run_receipt),
    }
    for name, (add, _) in commands.items():
        p = sub.add_parser(name)
        p.add_argument("--data", type=Path, required=True)
        add(p)
    args = parser.parse_args(argv)
    config = KioskConfig(data_dir=args.data)
    try:
        return commands[args.command][1](args, config)
    except KioskError as exc:
        print(f"{args.command}: {exc} [{exc.code}]", file=sys.stderr)
        return 2
