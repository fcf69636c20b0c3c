"""``kiosk staff-card``: staff cards from the command line of a kiosk or a staff PC.

    export-key        read the PIV authentication public key (slot 9A) of the card in the
                      local reader and print it as PEM, for ``kiosk-server staff
                      card-register --public-key-file``
    apply-directory   apply a signed staff-directory bundle from a file (until the live
                      channel delivers them)
    login             try a card login (PIN from the first line of stdin); prints who
    status            the held directory: version, age, number of cards

``export-key`` and ``login`` use ``devices.card_reader`` from the config, or ``--reader pcsc``
on a staff PC without a kiosk config. Refusals end with the same sentence helper mode shows
(``--lang``) and exit code 1.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from config.model import CardReaderConfig, KioskConfig
from foundation.errors import BundleRejected, KioskError


def add_staff_card_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``staff-card`` sub-subcommands."""
    sub = parser.add_subparsers(dest="staff_card_command", required=True)
    for name, text in (("export-key", "print the card's PIV authentication public key"),
                       ("login", "try a staff card login (PIN read from stdin)")):
        p = sub.add_parser(name, help=text)
        p.add_argument("--reader", choices=("config", "pcsc"), default="config",
                       help="'pcsc': the first PC/SC reader, whatever the config says")
        p.add_argument("--lang", default="en", help="language of the refusal message")
    apply = sub.add_parser("apply-directory", help="apply a signed staff-directory bundle")
    apply.add_argument("bundle", type=Path, help="file written by kiosk-server staff "
                       "directory-bundle")
    sub.add_parser("status", help="show the held staff directory")


def _reader_config(args: argparse.Namespace, config: KioskConfig) -> CardReaderConfig:
    if args.reader == "pcsc":
        return CardReaderConfig(driver="pcsc")
    return config.devices.card_reader


def _export_key(args: argparse.Namespace, config: KioskConfig) -> int:
    from device_drivers.card_reader import create_card_reader
    from device_drivers.card_reader.piv import PivCard
    from foundation.errors import CardReaderMissing

    reader = create_card_reader(_reader_config(args, config))
    if reader is None:
        raise CardReaderMissing("no card reader is configured; use --reader pcsc")
    reader.connect()
    try:
        piv = PivCard(reader)
        piv.select()
        key = piv.authentication_key()
    finally:
        reader.disconnect()
    print(key.pem, end="")
    print(f"{key.algorithm_name}, key SHA-256 {key.key_sha256}", file=sys.stderr)
    return 0


def _login(args: argparse.Namespace, config: KioskConfig) -> int:
    from device_drivers.card_reader import create_card_reader
    from kiosk.staffcard.wiring import create_authenticator

    pin = sys.stdin.readline().rstrip("\r\n")
    auth = create_authenticator(config, create_card_reader(_reader_config(args, config)))
    try:
        login = auth.login(pin)
    finally:
        auth.end()
    print(f"logged in: {login.display_name} ({login.staff_id}), roles "
          f"{', '.join(login.roles)}, directory version {login.directory_version}")
    return 0


def _apply(args: argparse.Namespace, config: KioskConfig) -> int:
    from kiosk.staffcard.wiring import apply_directory_bundle

    try:
        directory = apply_directory_bundle(args.bundle.read_bytes(), config)
    except OSError as exc:
        print(f"kiosk staff-card: cannot read {args.bundle}: {exc.strerror}", file=sys.stderr)
        return 2
    except BundleRejected as exc:
        print(f"kiosk staff-card: bundle refused ({exc.code}): {exc}", file=sys.stderr)
        return 1
    print(f"staff directory version {directory.version} applied "
          f"({len(directory.members)} card(s))")
    return 0


def _status(args: argparse.Namespace, config: KioskConfig) -> int:
    from kiosk.staffcard.wiring import directory_store

    directory = directory_store(config).current()
    age = datetime.now(UTC) - directory.issued_at
    revoked = sum(m.revoked for m in directory.members.values())
    print(f"staff directory version {directory.version}, issued {age.days} day(s) ago, "
          f"{len(directory.members)} card(s), {revoked} revoked")
    return 0


def run_staff_card(args: argparse.Namespace, config: KioskConfig) -> int:
    """Run one ``kiosk staff-card`` command."""
    from kiosk.staffcard.messages import staff_card_message

    command = {"export-key": _export_key, "login": _login, "apply-directory": _apply,
               "status": _status}[args.staff_card_command]
    try:
        return command(args, config)
    except KioskError as exc:
        lang = getattr(args, "lang", "en")
        print(f"kiosk staff-card: {staff_card_message(exc, lang)} [{exc.code}]",
              file=sys.stderr)
        return 1
