"""StaffCardAuthenticator over the scripted reader: every fault has its code and sentence.

The same flows run against a real pcscd in tests/device_drivers/test_card_reader_pcsc.py;
here the other card types (RSA-2048, P-384, gzipped certificate), forged and foreign
cards, and the exact APDUs are checked without a reader.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from device_drivers.card_reader.keys import ALG_ECC_P384, ALG_RSA2048
from device_drivers.card_reader.piv_card import VirtualPivCard, make_private_key
from device_drivers.card_reader.simulated import CardFault, SimulatedCardReader
from foundation.errors import (
    CardBlocked,
    CardReaderMissing,
    CardRemoved,
    KioskError,
    PcscUnavailable,
    StaffCardRefused,
    WrongPin,
)
from kiosk.staffcard.authenticator import StaffCardAuthenticator
from kiosk.staffcard.messages import staff_card_message
from tests.staffcard.fakes import PIN, directory_bundle, directory_store, member


def _auth(tmp_path: Path, card: VirtualPivCard | None, *entries: dict[str, object],
          nonce: bytes | None = None) -> tuple[StaffCardAuthenticator, SimulatedCardReader]:
    store = directory_store(tmp_path)
    store.apply(directory_bundle(list(entries)))
    reader = SimulatedCardReader(card)
    if nonce is None:
        return StaffCardAuthenticator(reader, store), reader
    return StaffCardAuthenticator(reader, store, random_bytes=lambda n: nonce), reader


def _refused(auth: StaffCardAuthenticator, pin: str = PIN) -> KioskError:
    with pytest.raises(KioskError) as caught:
        auth.login(pin)
    return caught.value


@pytest.mark.parametrize("algorithm", [ALG_RSA2048, ALG_ECC_P384])
def test_rsa_and_p384_cards_log_in(tmp_path: Path, algorithm: int) -> None:
    card = VirtualPivCard(private_key=make_private_key(algorithm), compress_certificate=True)
    auth, reader = _auth(tmp_path, card, member(card, roles=("desk", "ops")))
    login = auth.login(PIN)
    assert (login.staff_id, login.display_name, login.roles) == ("mmueller", "M. Müller",
                                                                 ("desk", "ops"))
    if algorithm == ALG_RSA2048:  # 256-byte block + TLV: sent as a chain of two APDUs
        assert any(a[0] == 0x10 and a[1] == 0x87 for a in reader.sent)


def test_the_card_signs_a_fresh_challenge_each_time(tmp_path: Path) -> None:
    card = VirtualPivCard()
    store = directory_store(tmp_path)
    store.apply(directory_bundle([member(card)]))
    nonces = iter([b"\x01" * 32, b"\x02" * 32])
    auth = StaffCardAuthenticator(SimulatedCardReader(card), store,
                                  random_bytes=lambda n: next(nonces))
    auth.login(PIN)
    auth.end()
    auth.login(PIN)
    challenges = [a for a in card.received if a[1] == 0x87]
    assert len(challenges) == 2 and challenges[0] != challenges[1]


def test_a_copied_certificate_without_the_key_is_not_genuine(tmp_path: Path) -> None:
    real = VirtualPivCard()
    forged = VirtualPivCard(certificate=real.certificate)  # same certificate, another key
    auth, _ = _auth(tmp_path, forged, member(real))
    error = _refused(auth)
    assert error.code == "staff_card_not_genuine"
    assert staff_card_message(error, "de") == ("Diese Karte konnte nicht geprüft werden. "
                                               "Bitte wenden Sie sich an den IT-Service.")


def test_unknown_card_and_card_without_piv(tmp_path: Path) -> None:
    listed, stranger = VirtualPivCard(), VirtualPivCard()
    auth, reader = _auth(tmp_path, stranger, member(listed))
    assert _refused(auth).code == "staff_card_unknown"
    reader.insert(VirtualPivCard(has_piv=False))
    error = _refused(auth)
    assert error.code == "staff_card_unknown"
    assert staff_card_message(error, "en").startswith("This card is not registered")


def test_wrong_pin_counts_down_then_blocks(tmp_path: Path) -> None:
    card = VirtualPivCard()
    auth, _ = _auth(tmp_path, card, member(card))
    holder = auth.identify()
    assert holder.tries_left == 3
    with pytest.raises(WrongPin) as first:
        auth.authenticate(holder, "654321")
    assert first.value.tries_left == 2
    assert staff_card_message(first.value, "de") == "Falsche PIN. Noch 2 Versuche."
    with pytest.raises(WrongPin) as second:
        auth.authenticate(holder, "654321")
    assert staff_card_message(second.value, "en") == "Wrong PIN. 1 try left."
    with pytest.raises(CardBlocked) as blocked:
        auth.authenticate(holder, "654321")
    assert "blocked" in staff_card_message(blocked.value, "en")
    assert card.tries_left == 0
    assert _refused(auth).code == "staff_card_blocked"  # the right PIN no longer helps


def test_pin_format_is_checked_before_it_costs_a_try(tmp_path: Path) -> None:
    card = VirtualPivCard()
    auth, _ = _auth(tmp_path, card, member(card))
    error = _refused(auth, "12a")
    assert error.code == "staff_pin_invalid" and card.tries_left == 3
    assert staff_card_message(error, "de") == "Die PIN hat 6 bis 8 Ziffern."


def test_card_pulled_before_the_signature(tmp_path: Path) -> None:
    card = VirtualPivCard()
    auth, reader = _auth(tmp_path, card, member(card))
    holder = auth.identify()
    reader.push(CardFault("remove_after", 1))  # VERIFY goes through, the challenge does not
    with pytest.raises(CardRemoved) as caught:
        auth.authenticate(holder, PIN)
    assert staff_card_message(caught.value, "de").startswith("Die Karte wurde herausgezogen")
    assert not reader.card_present()


def test_no_card_no_reader_no_service(tmp_path: Path) -> None:
    card = VirtualPivCard()
    auth, reader = _auth(tmp_path, None, member(card))
    assert _refused(auth).code == "staff_card_absent"
    reader.push(CardFault("unplug"))
    assert isinstance(_refused(auth), CardReaderMissing)
    assert reader.check() == (False, "simulated: no card reader connected")
    reader.push(CardFault("no_service"))
    error = _refused(auth)
    assert isinstance(error, PcscUnavailable)
    assert "pcscd" in staff_card_message(error, "de")


def test_revoked_entry_is_refused_before_any_pin(tmp_path: Path) -> None:
    card = VirtualPivCard()
    auth, _ = _auth(tmp_path, card, member(card, revoked=True))
    with pytest.raises(StaffCardRefused) as caught:
        auth.identify()
    assert caught.value.code == "staff_card_revoked"
    assert not any(a[1] == 0x20 and len(a) > 4 for a in card.received)  # no PIN was sent


def test_login_resets_the_card_so_the_pin_does_not_linger(tmp_path: Path) -> None:
    card = VirtualPivCard()
    auth, reader = _auth(tmp_path, card, member(card))
    auth.login(PIN)
    auth.end()
    assert not reader.connected
    reader.connect()
    assert card.process(bytes.fromhex("00A404000" + "9A00000030800001000"))[-2:] == b"\x90\x00"
    assert card.process(bytes.fromhex("00200080"))[-2:] == b"\x63\xc3"  # not verified any more
