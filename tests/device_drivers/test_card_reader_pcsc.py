"""Staff card logins through a REAL pcscd and vsmartcard's virtual reader (vpcd).

Every test that touches the one virtual reader port (127.0.0.1:35963) lives in this one
file, so ``--dist loadfile`` keeps them on one worker. The module fixture starts
``pcscd --foreground`` unless one is running already, and stops what it started. The card is
``VpcdCard`` (a Python PIV card speaking vpcd's TCP protocol); the kiosk side is the real
``PcscCardReader`` over pyscard. Each fault is checked with the sentence staff would see.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from device_drivers.card_reader.pcsc import PcscCardReader
from device_drivers.card_reader.piv_card import VirtualPivCard
from device_drivers.card_reader.vpcd import VpcdCard
from foundation.errors import (
    CardBlocked,
    CardReaderMissing,
    CardRemoved,
    KioskError,
    StaffCardRefused,
    WrongPin,
)
from jobcentre.cli import main as server_main
from kiosk import health
from kiosk.cli import main as kiosk_main
from kiosk.staffcard.authenticator import StaffCardAuthenticator
from kiosk.staffcard.messages import staff_card_message
from kiosk.staffcard.wiring import create_authenticator
from tests.staffcard.fakes import (
    PIN,
    Clock,
    directory_bundle,
    directory_store,
    enrolled_config,
    member,
)

PCSCD_SOCKET = Path("/run/pcscd/pcscd.comm")
READER = "Virtual PCD"


def _pcscd_answers() -> bool:
    with socket.socket(socket.AF_UNIX) as probe:
        probe.settimeout(1)
        try:
            probe.connect(str(PCSCD_SOCKET))
        except OSError:
            return False
    return True


@pytest.fixture(scope="module")
def pcscd() -> Iterator[None]:
    """A running pcscd with the vpcd reader (started here unless one runs already)."""
    exe = shutil.which("pcscd") or "/usr/sbin/pcscd"
    assert Path(exe).exists(), "pcscd is missing: ./quickstart test installs it"
    started = None
    if not _pcscd_answers():
        started = subprocess.Popen([exe, "--foreground"], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while not (_pcscd_answers() and PcscCardReader(READER).is_present()):
            assert time.monotonic() < deadline, "pcscd with the vpcd reader did not come up"
            time.sleep(0.1)
        yield
    finally:
        if started is not None:
            started.terminate()
            try:
                started.wait(timeout=10)
            except subprocess.TimeoutExpired:
                started.kill()
                started.wait(timeout=5)


@pytest.fixture
def reader(pcscd: None) -> Iterator[PcscCardReader]:
    """The real PC/SC driver on the virtual reader; the reader is empty before each test."""
    driver = PcscCardReader(READER, timeout_s=5)
    assert driver.wait_for_card(5, present=False)
    yield driver
    driver.disconnect()


@contextlib.contextmanager
def _inserted(card: VirtualPivCard, reader: PcscCardReader) -> Iterator[VpcdCard]:
    """The card in the virtual reader; pulled at the end, and pcscd has seen it go.

    Waiting for pcscd to notice matters: vpcd wedges when a connected card is reset
    (``SCardDisconnect``) after its socket closed but before pcscd polled the removal.
    """
    vpcd = VpcdCard(card)
    vpcd.insert()
    try:
        assert reader.wait_for_card(5), "pcscd did not see the virtual card"
        yield vpcd
    finally:
        vpcd.remove()
        assert reader.wait_for_card(5, present=False), "pcscd did not see the card go"


def _auth(tmp_path: Path, reader: PcscCardReader, *entries: dict[str, object],
          clock: Clock | None = None) -> StaffCardAuthenticator:
    store = directory_store(tmp_path, clock)
    store.apply(directory_bundle(list(entries)))
    return StaffCardAuthenticator(reader, store)


def test_good_card_and_pin_logs_in_until_the_card_is_pulled(
        tmp_path: Path, reader: PcscCardReader) -> None:
    card = VirtualPivCard()
    auth = _auth(tmp_path, reader, member(card, roles=("desk", "counsellor")))
    with _inserted(card, reader) as vpcd:
        holder = auth.identify()
        assert (holder.member.display_name, holder.tries_left) == ("M. Müller", 3)
        login = auth.authenticate(holder, PIN)
        assert (login.staff_id, login.roles, login.directory_version) == (
            "mmueller", ("desk", "counsellor"), 1)
        assert any(a[1] == 0x87 for a in card.received)  # the card really signed a challenge
        assert not auth.wait_for_removal(0.2)
        vpcd.remove()
        assert auth.wait_for_removal(5)  # helper mode ends here


def test_wrong_pin_shows_the_tries_left(tmp_path: Path, reader: PcscCardReader) -> None:
    card = VirtualPivCard()
    auth = _auth(tmp_path, reader, member(card))
    with _inserted(card, reader):
        holder = auth.identify()
        with pytest.raises(WrongPin) as caught:
            auth.authenticate(holder, "999999")
        assert staff_card_message(caught.value, "de") == "Falsche PIN. Noch 2 Versuche."
        assert staff_card_message(caught.value, "en") == "Wrong PIN. 2 tries left."
        assert auth.authenticate(holder, PIN).staff_id == "mmueller"  # retry on the same card
    assert card.tries_left == 3  # a good PIN resets the card's counter


def test_blocked_card(tmp_path: Path, reader: PcscCardReader) -> None:
    card = VirtualPivCard(tries_left=0)
    auth = _auth(tmp_path, reader, member(card))
    with _inserted(card, reader), pytest.raises(CardBlocked) as caught:
        auth.login(PIN)
    assert staff_card_message(caught.value, "de") == (
        "Diese Karte ist nach zu vielen falschen PIN-Eingaben gesperrt. "
        "Der IT-Service kann sie entsperren.")


def test_unknown_card(tmp_path: Path, reader: PcscCardReader) -> None:
    card = VirtualPivCard()
    auth = _auth(tmp_path, reader, member(VirtualPivCard()))
    with _inserted(card, reader), pytest.raises(StaffCardRefused) as caught:
        auth.login(PIN)
    assert caught.value.code == "staff_card_unknown"
    assert staff_card_message(caught.value, "en") == (
        "This card is not registered for staff login. "
        "Please ask the IT service desk to register it.")
    assert not any(a[1] == 0x20 and len(a) > 4 for a in card.received)  # PIN never sent


def test_revoked_card_stops_with_the_next_bundle(tmp_path: Path,
                                                 reader: PcscCardReader) -> None:
    card = VirtualPivCard()
    store = directory_store(tmp_path)
    auth = StaffCardAuthenticator(reader, store)
    store.apply(directory_bundle([member(card)], version=1))
    with _inserted(card, reader):
        assert auth.login(PIN).staff_id == "mmueller"
        auth.end()
        store.apply(directory_bundle([member(card, revoked=True)], version=2))
        with pytest.raises(StaffCardRefused) as caught:
            auth.login(PIN)
    assert caught.value.code == "staff_card_revoked"
    assert staff_card_message(caught.value, "de") == (
        "Diese Karte wurde gesperrt und gilt hier nicht mehr.")


def test_expired_directory_refuses_every_card(tmp_path: Path, reader: PcscCardReader) -> None:
    card, clock = VirtualPivCard(), Clock()
    auth = _auth(tmp_path, reader, member(card), clock=clock)
    clock.now += timedelta(days=8)
    with _inserted(card, reader), pytest.raises(StaffCardRefused) as caught:
        auth.login(PIN)
    assert caught.value.code == "staff_directory_outdated"
    assert staff_card_message(caught.value, "de").startswith(
        "Die Mitarbeiterliste auf diesem Terminal ist zu alt.")


def test_card_pulled_mid_operation(tmp_path: Path, reader: PcscCardReader) -> None:
    card = VirtualPivCard()
    auth = _auth(tmp_path, reader, member(card))
    with _inserted(card, reader) as vpcd:
        holder = auth.identify()
        vpcd.remove_after = 1  # VERIFY is answered, the card is gone before it signs
        with pytest.raises(CardRemoved) as caught:
            auth.authenticate(holder, PIN)
    assert caught.value.code == "staff_card_removed"
    assert staff_card_message(caught.value, "en") == (
        "The card was removed. Please insert it again and leave it in the reader.")


def test_no_reader(pcscd: None, tmp_path: Path) -> None:
    card = VirtualPivCard()
    missing = PcscCardReader("Cherry ST-2100", timeout_s=5)
    auth = _auth(tmp_path, missing, member(card))  # type: ignore[arg-type]
    with pytest.raises(CardReaderMissing) as caught:
        auth.login(PIN)
    assert staff_card_message(caught.value, "de") == (
        "Es ist kein Kartenlesegerät angeschlossen. Bitte prüfen Sie das Kabel des Lesegeräts.")
    assert missing.check()[0] is False


def test_pcscd_not_running(tmp_path: Path) -> None:
    """A kiosk process whose PC/SC socket has no pcscd behind it (as if it were stopped)."""
    env = {**os.environ, "PCSCLITE_CSOCK_NAME": str(tmp_path / "no-pcscd.comm")}
    script = ("import sys; from kiosk.cli import main; sys.exit(main(sys.argv[1:]))")
    done = subprocess.run(
        [sys.executable, "-c", script, "staff-card", "--data", str(tmp_path / "data"),
         "export-key", "--reader", "pcsc", "--lang", "de"],
        capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 1, done.stderr
    assert ("Der Kartendienst (pcscd) läuft auf diesem Terminal nicht. Bitte rufen Sie den "
            "technischen Support. [pcsc_unavailable]") in done.stderr


def test_register_a_card_from_its_exported_key_and_log_in(
        tmp_path: Path, reader: PcscCardReader, capsys: pytest.CaptureFixture[str]) -> None:
    """Staff PC: export-key → centre: card-register, directory-bundle → kiosk: apply, login."""
    card, centre = VirtualPivCard(), tmp_path / "centre"
    config = enrolled_config(tmp_path, devices={"card_reader": {
        "driver": "pcsc", "reader_name_contains": READER}})
    data = ["--data", str(config.resolved_data_dir)]
    with _inserted(card, reader):
        assert kiosk_main(["staff-card", *data, "export-key", "--reader", "pcsc"]) == 0
        pem = capsys.readouterr().out
        assert pem == card.key.pem
        (tmp_path / "card.pem").write_text(pem)
        import io

        sys_stdin, sys.stdin = sys.stdin, io.StringIO("a long enough password 1\n")
        try:
            assert server_main(["staff", "add", "--data", str(centre), "--user", "mmueller",
                                "--role", "desk", "--password-stdin"]) == 0
        finally:
            sys.stdin = sys_stdin
        assert server_main(["staff", "card-register", "--data", str(centre), "--user",
                            "mmueller", "--display-name", "M. Müller", "--public-key-file",
                            str(tmp_path / "card.pem")]) == 0
        bundle = tmp_path / "directory.bundle"
        _use_centre_key(centre, config.resolved_data_dir)
        assert server_main(["staff", "directory-bundle", "--data", str(centre),
                            "--out", str(bundle)]) == 0
        assert kiosk_main(["staff-card", *data, "apply-directory", str(bundle)]) == 0
        login = create_authenticator(config).login(PIN)
        assert (login.staff_id, login.display_name, login.roles) == ("mmueller", "M. Müller",
                                                                     ("desk",))
        doctor = health.check_card_reader(config)
    assert doctor.ok and READER in doctor.detail and "directory version 1" in doctor.detail


def _use_centre_key(centre: Path, kiosk_data: Path) -> None:
    """Make the enrolled kiosk trust this centre's signing key (what enrollment does)."""
    import json

    from jobcentre.keys import load_centre_keys

    keys = load_centre_keys(centre)
    path = kiosk_data / "identity" / "centre.json"
    path.write_text(json.dumps({"signing_public_key": keys.signing_public,
                                "encryption_public_key": keys.encryption_public}))


def test_a_refusal_never_leaves_the_card_verified(tmp_path: Path,
                                                  reader: PcscCardReader) -> None:
    card = VirtualPivCard()
    auth = _auth(tmp_path, reader, member(card, revoked=True))
    with _inserted(card, reader):
        with pytest.raises(KioskError):
            auth.login(PIN)
        assert reader._card is None  # the channel was closed with a card reset
