"""``kiosk-server staff card-register | card-revoke | cards | directory-bundle``.

Registering a card needs its PIV authentication public key, read on a staff PC with a
reader by ``kiosk staff-card export-key > card.pem``. The card must belong to an existing,
active staff account (``kiosk-server staff add``); its roles come from that account.
``directory-bundle`` signs the current directory with the centre signing key and writes it
to a file (or stdout) for ``kiosk staff-card apply-directory``. Registering or revoking a
card also signs the next directory and queues it for every enrolled kiosk on the live
channel (``jobcentre.staff_directory_push``). Problems end with one plain sentence on
stderr and exit code 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jobcentre.staffcards import StaffCardStore

CARD_COMMANDS = ("card-register", "card-revoke", "cards", "directory-bundle")
WithDb = Callable[[argparse.ArgumentParser], None]


def add_card_commands(staff_sub: Any, with_db: WithDb) -> None:
    """Add the card sub-commands to ``kiosk-server staff``."""
    register = staff_sub.add_parser("card-register", help="register a staff card's public key")
    with_db(register)
    register.add_argument("--user", required=True, help="staff account name")
    register.add_argument("--public-key-file", type=Path, required=True,
                          help="PEM from `kiosk staff-card export-key` (or a certificate)")
    register.add_argument("--display-name", help="name shown at the kiosk (default: --user)")
    revoke = staff_sub.add_parser("card-revoke", help="withdraw a staff card (all kiosks "
                                  "refuse it from their next directory)")
    with_db(revoke)
    which = revoke.add_mutually_exclusive_group(required=True)
    which.add_argument("--user", help="every card of this account")
    which.add_argument("--key-sha256", help="one card, by its key's SHA-256")
    with_db(staff_sub.add_parser("cards", help="list registered staff cards"))
    bundle = staff_sub.add_parser("directory-bundle", help="sign the staff directory for "
                                  "the kiosks")
    with_db(bundle)
    bundle.add_argument("--out", type=Path, help="file to write (default: stdout)")
    bundle.add_argument("--valid-days", type=float, default=14.0,
                        help="expiry of the bundle (kiosks also apply their own maximum age)")
    bundle.add_argument("--kiosk-id", action="append", dest="kiosk_ids",
                        help="address the bundle to these kiosks only (repeatable)")


def _register(store: StaffCardStore, repo: Any, args: argparse.Namespace) -> int:
    from device_drivers.card_reader.keys import load_card_key

    username = args.user.strip().lower()
    account = repo.get_staff(username)
    if account is None or account.disabled_at is not None:
        print("kiosk-server: no active staff account of that name", file=sys.stderr)
        return 1
    try:
        key = load_card_key(args.public_key_file.read_bytes())
    except OSError as exc:
        print(f"kiosk-server: cannot read {args.public_key_file}: {exc.strerror}",
              file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"kiosk-server: {exc}", file=sys.stderr)
        return 1
    card = store.register(username, (args.display_name or username).strip(), key)
    if card is None:
        print("kiosk-server: this card key is registered already", file=sys.stderr)
        return 1
    print(f"registered {key.algorithm_name} card {card.key_sha256[:16]}… for {username}")
    return _publish(store, repo, args)


def _publish(store: StaffCardStore, repo: Any, args: argparse.Namespace) -> int:
    from jobcentre.keys import load_centre_keys
    from jobcentre.staff_directory_push import publish_directory

    published = publish_directory(store, repo, load_centre_keys(args.data).signing)
    print(f"staff directory version {published.version} queued for {published.kiosks} "
          "kiosk(s) on the live channel")
    return 0


def publish_after_disable(repo: Any, args: argparse.Namespace) -> None:
    """After ``staff disable``: push a new directory if the account had a card to refuse."""
    from jobcentre.staffcards import StaffCardStore

    store = StaffCardStore(repo)
    username = args.user.strip().lower()
    if any(c.username == username and c.revoked_at is None for c in store.list_cards()):
        _publish(store, repo, args)


def _revoke(store: StaffCardStore, repo: Any, args: argparse.Namespace) -> int:
    user = args.user.strip().lower() if args.user else None
    count = store.revoke(username=user, key_sha256=args.key_sha256)
    if count == 0:
        print("kiosk-server: no active card matches; nothing revoked", file=sys.stderr)
        return 1
    print(f"revoked {count} card(s)")
    return _publish(store, repo, args)


def _bundle(store: StaffCardStore, args: argparse.Namespace) -> int:
    from jobcentre.keys import load_centre_keys

    if not 0 < args.valid_days <= 90:
        print("kiosk-server: --valid-days must be between 0 and 90", file=sys.stderr)
        return 2
    keys = load_centre_keys(args.data)
    raw, version = store.directory_bundle(keys.signing,
                                          valid_for=timedelta(days=args.valid_days),
                                          kiosks=args.kiosk_ids)
    if args.out is None:
        sys.stdout.write(raw.decode("utf-8") + "\n")
    else:
        args.out.write_bytes(raw)
    print(f"staff directory version {version} signed", file=sys.stderr)
    return 0


def run_card_command(args: argparse.Namespace) -> int:
    """Run one of ``CARD_COMMANDS``."""
    from jobcentre.repository import open_repository
    from jobcentre.staffcards import StaffCardStore

    repo = open_repository(args.data, args.database)
    try:
        store = StaffCardStore(repo)
        if args.staff_command == "card-register":
            return _register(store, repo, args)
        if args.staff_command == "card-revoke":
            return _revoke(store, repo, args)
        if args.staff_command == "directory-bundle":
            return _bundle(store, args)
        for card in store.list_cards():
            state = f"revoked {card.revoked_at}" if card.revoked_at else "active"
            print(f"{card.username:<24} {card.algorithm:<10} {card.key_sha256[:16]}  "
                  f"registered {card.registered_at}  {state}")
        return 0
    finally:
        repo.close()
