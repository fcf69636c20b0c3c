"""Build the staff-card pieces from the kiosk config and the enrolled identity.

The trusted key for directory bundles is the centre signing key the kiosk received at
enrollment (``<data>/identity/centre.json``); an unenrolled kiosk trusts none, so every
bundle is refused with ``unknown_key`` and card logins say ``staff_directory_missing``.
"""

from __future__ import annotations

from config.model import KioskConfig
from device_drivers.card_reader import create_card_reader
from device_drivers.card_reader.protocol import CardReader
from foundation.errors import CardReaderMissing
from kiosk.staffcard.authenticator import StaffCardAuthenticator
from kiosk.staffcard.directory import (
    FOLDER,
    Clock,
    StaffDirectory,
    StaffDirectoryStore,
    store_for,
    utc_now,
)


def directory_store(config: KioskConfig, clock: Clock = utc_now) -> StaffDirectoryStore:
    """The kiosk's staff directory store (trusting the centre key from enrollment)."""
    from datetime import timedelta

    from kiosk.delivery.identity import load_identity

    data_dir = config.resolved_data_dir
    max_age = config.staff_cards.directory_max_age_days
    identity = load_identity(data_dir)
    if identity is None:
        return StaffDirectoryStore(data_dir / FOLDER, config.identity.kiosk_id, {},
                                   timedelta(days=max_age), clock)
    return store_for(data_dir, identity.kiosk_id, identity.centre_signing_public_key,
                     max_age, clock)


def apply_directory_bundle(raw: bytes, config: KioskConfig) -> StaffDirectory:
    """Verify a ``staff_directory`` bundle offline and make it the kiosk's directory.

    Raises ``BundleRejected`` (code: bad_signature, expired, replayed, older_version, …).
    The live channel calls this when a new directory arrives.
    """
    return directory_store(config).apply(raw)


def create_authenticator(config: KioskConfig,
                         reader: CardReader | None = None) -> StaffCardAuthenticator:
    """The authenticator over ``reader`` or the configured one; CardReaderMissing for none."""
    reader = reader or create_card_reader(config.devices.card_reader)
    if reader is None:
        raise CardReaderMissing("no card reader is configured (devices.card_reader.driver)")
    return StaffCardAuthenticator(reader, directory_store(config))
