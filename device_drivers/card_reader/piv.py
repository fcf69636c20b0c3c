"""The host side of the PIV card application (NIST SP 800-73-4) over a ``CardReader``.

Why PIV: it is the one standard card application for "prove who you are with a key on a
card" that the common staff tokens and ID cards all speak (YubiKey 5, Nitrokey 3, SafeNet
/ Thales, Gemalto IDPrime PIV, PIV-compatible government ID cards), with a
card-side PIN retry counter and an authentication key (slot 9A) that never leaves the card.
OpenPGP cards would also work but are rarer as issued staff cards.

The kiosk uses five commands::

    SELECT PIV            00 A4 04 00 09 A0000003080000100000
    GET DATA (cert 9A)    00 CB 3F FF 05 5C035FC105 00        -> 53 {70 cert, 71 info, FE}
    VERIFY PIN / tries    00 20 00 80 08 <PIN FF-padded> | 00 20 00 80 -> 9000 / 63Cx / 6983
    GENERAL AUTHENTICATE  00 87 <alg> 9A 7C{82 00, 81 <challenge>} -> 7C{82 <signature>}
    GET RESPONSE          00 C0 00 00 xx   (answers longer than one APDU: SW 61xx)

Status words become ``foundation.errors``: 63Cx → ``WrongPin`` (x tries left), 6983 or
63C0 → ``CardBlocked``, a missing application or certificate → ``StaffCardRefused``
(``staff_card_unknown``), anything else unexpected → ``CardUnreadable``.
"""

from __future__ import annotations

import gzip
import logging

from device_drivers.card_reader import apdu
from device_drivers.card_reader.keys import CardKey, card_key
from device_drivers.card_reader.protocol import CardReader
from foundation.errors import CardBlocked, CardUnreadable, StaffCardRefused, WrongPin

log = logging.getLogger(__name__)

PIV_AID = bytes.fromhex("A00000030800001000")
SLOT_AUTHENTICATION = 0x9A
PIN_REFERENCE = 0x80
AUTH_CERT_TAG = 0x5FC105
INS_SELECT, INS_GET_DATA, INS_VERIFY, INS_GENERAL_AUTH, INS_GET_RESPONSE = (
    0xA4, 0xCB, 0x20, 0x87, 0xC0)
SW_BLOCKED = 0x6983
SW_NOT_FOUND = (0x6A82, 0x6A88)
MAX_RESPONSE_PARTS = 64


def encode_pin(pin: str) -> bytes:
    """A PIN of 6 to 8 digits, padded with FF to 8 bytes; StaffCardRefused otherwise."""
    if not (pin.isascii() and pin.isdigit() and 6 <= len(pin) <= 8):
        raise StaffCardRefused("the PIN must have 6 to 8 digits", code="staff_pin_invalid")
    return pin.encode("ascii").ljust(8, b"\xff")


class PivCard:
    """The PIV application of the card in ``reader`` (the reader must be connected)."""

    def __init__(self, reader: CardReader) -> None:
        self.reader = reader

    def send(self, ins: int, p1: int, p2: int, data: bytes = b"",
             le: int | None = 0) -> tuple[bytes, int]:
        """One command (chained when long), collecting every part of a long answer."""
        parts = apdu.chained(0x00, ins, p1, p2, data, le)
        for part in parts[:-1]:
            _, sw = self.reader.transmit(part)
            if sw != apdu.SW_OK:
                return b"", sw
        body, sw = self.reader.transmit(parts[-1])
        if sw >> 8 == 0x6C:  # wrong Le: the card says how many bytes it has
            body, sw = self.reader.transmit(parts[-1][:-1] + bytes((sw & 0xFF,)))
        for _ in range(MAX_RESPONSE_PARTS):
            if sw >> 8 != 0x61:
                return body, sw
            more, sw = self.reader.transmit(apdu.command(0, INS_GET_RESPONSE, 0, 0,
                                                         le=sw & 0xFF))
            body += more
        raise CardUnreadable("the card's answer does not end")

    def select(self) -> None:
        """Select the PIV application; StaffCardRefused(staff_card_unknown) without one."""
        _, sw = self.send(INS_SELECT, 0x04, 0x00, PIV_AID)
        if sw in SW_NOT_FOUND:
            raise StaffCardRefused("the card has no PIV application", code="staff_card_unknown")
        if sw != apdu.SW_OK:
            raise CardUnreadable(f"SELECT PIV answered {sw:04X}")

    def read_certificate(self, tag: int = AUTH_CERT_TAG) -> bytes:
        """The DER certificate of the authentication key (slot 9A)."""
        query = apdu.tlv(0x5C, tag.to_bytes(3, "big"))
        body, sw = self.send(INS_GET_DATA, 0x3F, 0xFF, query)
        if sw in SW_NOT_FOUND:
            raise StaffCardRefused("the card holds no PIV authentication certificate",
                                   code="staff_card_unknown")
        if sw != apdu.SW_OK:
            raise CardUnreadable(f"GET DATA answered {sw:04X}")
        try:
            container = apdu.find_tlv(body, 0x53)
            cert = apdu.find_tlv(container, 0x70)
            info = dict(apdu.iter_tlv(container)).get(0x71, b"\x00")
            if info[:1] and info[0] & 0x01:  # CertInfo bit 0: the certificate is gzipped
                cert = gzip.decompress(cert)
        except (ValueError, OSError, EOFError) as exc:
            raise CardUnreadable("the certificate object is damaged") from exc
        return cert

    def authentication_key(self) -> CardKey:
        """The public key of slot 9A, taken from its certificate."""
        from cryptography import x509

        try:
            public_key = x509.load_der_x509_certificate(self.read_certificate()).public_key()
        except ValueError as exc:
            raise CardUnreadable("the authentication certificate cannot be read") from exc
        try:
            return card_key(public_key)
        except ValueError as exc:
            raise StaffCardRefused(str(exc), code="staff_card_unknown") from exc

    def pin_tries_left(self) -> int | None:
        """The PIN retry counter (VERIFY without data); None when the PIN is already verified.

        Raises CardBlocked when no tries are left.
        """
        _, sw = self.send(INS_VERIFY, 0x00, PIN_REFERENCE, le=None)
        if sw == apdu.SW_OK:
            return None
        return self._tries(sw)

    @staticmethod
    def _tries(sw: int) -> int:
        if sw == SW_BLOCKED or sw == 0x63C0:
            raise CardBlocked("the card's PIN is blocked")
        if sw & 0xFFF0 == 0x63C0:
            return sw & 0x0F
        raise CardUnreadable(f"VERIFY answered {sw:04X}")

    def verify_pin(self, pin: str) -> None:
        """Present the PIN; WrongPin with the tries left, or CardBlocked."""
        _, sw = self.send(INS_VERIFY, 0x00, PIN_REFERENCE, encode_pin(pin), le=None)
        if sw == apdu.SW_OK:
            return
        raise WrongPin(self._tries(sw))

    def sign(self, key: CardKey, card_input: bytes) -> bytes:
        """GENERAL AUTHENTICATE with the slot 9A key over ``card_input``; the signature."""
        template = apdu.tlv(0x7C, apdu.tlv(0x82, b"") + apdu.tlv(0x81, card_input))
        body, sw = self.send(INS_GENERAL_AUTH, key.algorithm, SLOT_AUTHENTICATION, template)
        if sw in (0x6A80, 0x6A86):
            raise StaffCardRefused("the card's key does not match the registered key type",
                                   code="staff_card_not_genuine")
        if sw != apdu.SW_OK:
            raise CardUnreadable(f"GENERAL AUTHENTICATE answered {sw:04X}")
        try:
            return apdu.find_tlv(apdu.find_tlv(body, 0x7C), 0x82)
        except ValueError as exc:
            raise CardUnreadable("the card's signature answer is damaged") from exc
