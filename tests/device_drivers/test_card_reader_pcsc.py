"""Staff card logins through a REAL pcscd and vsmartcard's virtual reader (vpcd).

Every test that touches the one virtual reader port (127.0.0.1:35963) lives in this one
file (helper mode's end-to-end tests at its end too), so ``--dist loadfile`` keeps them on
one worker. The module fixture starts
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
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from config.loader import load_config
from device_drivers.camera import SimulatedCamera
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
from kiosk.controllers.helper import HelperController, Phase, page_check
from kiosk.controllers.runner import call_now, run_inline
from kiosk.session.session import Session
from kiosk.session.states import Event, Overlay, SessionState
from kiosk.staffcard.authenticator import StaffCardAuthenticator
from kiosk.staffcard.messages import staff_card_message
from kiosk.staffcard.wiring import create_authenticator
from tests.controllers.conftest import UiThread
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
            assert time.monotonic() < deadline, (
                "pcscd with the vpcd reader did not come up (is port 35963, vpcd's, taken by "
                "another program? ./quickstart test reserves it)")
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
    # registering signed version 1 (pushed over the live channel); the exported file is 2
    assert doctor.ok and READER in doctor.detail and "directory version 2" in doctor.detail


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


# -- helper mode end to end (kiosk.controllers.helper over this reader) -----------------------

def _watcher_runner(name: str, work: Callable[[], None]) -> None:
    """The card watcher on its own thread (as in the kiosk); other work inline."""
    if name == "staff-card":
        threading.Thread(target=work, name=name, daemon=True).start()
    else:
        work()


def _until(ui: UiThread, check: Callable[[], bool], timeout_s: float = 20.0) -> None:
    """Drain the test's "UI thread" until ``check()`` holds."""
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "the card watcher did not answer"
        ui.arrived.wait(0.05)
        ui.arrived.clear()
        ui.drain()


@contextlib.contextmanager
def _helper_mode(tmp_path: Path, *entries: dict[str, object]) -> Iterator[
        tuple[HelperController, Session, UiThread]]:
    """A running session and helper mode over its own PC/SC reader (its own context)."""
    config = load_config(data_dir=tmp_path / "kiosk", environ={})
    session = Session(config, lambda: time.monotonic() + 10_000, tmp_path / "kiosk" / "session")
    store = directory_store(tmp_path / "cards")
    store.apply(directory_bundle(list(entries)))
    ui = UiThread()
    helper = HelperController(
        StaffCardAuthenticator(PcscCardReader(READER, timeout_s=5), store),
        lambda op, **params: {"ok": True, "state": "sent"}, page_check(config.scanning),
        run=_watcher_runner, post=ui, poll_s=0.1)
    helper.start(session)
    try:
        yield helper, session, ui
    finally:
        helper.stop()
        time.sleep(0.3)  # the watcher's last poll returns before the reader is reused
        session.wipe()


def _visitor_with_a_page(session: Session) -> None:
    import cv2

    from kiosk.controllers.capture import encode_jpeg
    from scanning.samples import sample_photos

    session.dispatch(Event.TOUCH)
    session.choose_language("ar")
    assert session.identify("123A456789").ok
    session.choose_upload()
    image = cv2.imread(str(sample_photos()[0]))
    assert image is not None
    session.store_page(encode_jpeg(image), accepted=True, reasons=(),
                       size=(image.shape[1], image.shape[0]))
    session.dispatch(Event.PAGE_DONE)


def test_helper_mode_end_to_end_into_the_sealed_transfer_note(
        tmp_path: Path, reader: PcscCardReader) -> None:
    """Card + PIN in a running visit → take over and hand back → card pulled → the visitor
    confirms → hand-in: the sealed document's transfer note holds the audit trail, and the
    job centre's note view shows who, when, what and the confirmation."""
    from jobcentre.note_view import view_extension
    from kiosk.controllers.capture import CaptureController
    from kiosk.controllers.submit import SubmitController
    from kiosk.delivery.service import DeliveryService
    from scanning.pdf import read_transfer_note
    from tests.delivery.helpers import enroll_locally
    from wire import protocol

    card = VirtualPivCard()
    with _helper_mode(tmp_path, member(card, staff_id="aschmidt", name="Anna Schmidt")) as (
            helper, session, ui):
        centre = enroll_locally(tmp_path / "kiosk", session.config.identity.kiosk_id)
        _visitor_with_a_page(session)
        with _inserted(card, reader) as vpcd:
            _until(ui, lambda: helper.phase is Phase.PIN)
            assert helper.holder_name == "Anna Schmidt"
            helper.enter_pin(PIN)
            _until(ui, lambda: helper.phase is not Phase.CHECKING)
            assert helper.phase is Phase.ACTIVE and helper.helper_name() == "Anna"
            assert session.overlays.top is Overlay.HELPER
            assert session.state is SessionState.DOCUMENTS
            helper.take_over(session)
            session.dispatch(Event.FINISH)  # staff tap "finish" for the visitor
            helper.give_input_back(session)
            helper.hand_back(session)
            assert session.overlays.top is None and session.state is SessionState.SUMMARY
            vpcd.remove()
            _until(ui, lambda: not ui.posted and not reader.card_present())
        helper.confirm(session)
        capture = CaptureController(session.config, SimulatedCamera([], cycle=False))
        delivery = DeliveryService(session.config, tmp_path / "kiosk")
        try:
            submit = SubmitController(capture, delivery, run=run_inline, post=call_now,
                                      note_extensions=HelperController.note_extensions)
            queued = submit.submit_now(session, poke_agent=False)
            (document,) = queued.documents
            sealed = delivery.outbox.sealed_path(document.document_id).read_bytes()
        finally:
            capture.close()
            delivery.close()
    pdf = protocol.open_sealed(sealed, centre.encryption,
                               protocol.document_aad(document.document_id))
    (extension,) = [e for e in read_transfer_note(pdf)["extensions"]
                    if e["kind"] == "helper_audit"]
    data = extension["data"]
    assert data["staff_id"] == "aschmidt" and data["visitor_confirmed"] is True
    assert [a["action"] for a in data["actions"]] == [
        "helper_joined", "took_over_input", "step_by_staff", "gave_input_back", "handed_back"]
    assert data["actions"][2]["detail"] == "summary"
    view = view_extension(extension)
    rows = dict(view.rows)
    assert view.title == "Hilfe durch Mitarbeitende"
    assert rows["Mitarbeiter/in (Kennung)"] == "aschmidt"
    assert rows["Von der Person bestätigt"].startswith("ja, am ")
    assert "Eingabe übernommen (documents)" in [value for _, value in view.rows]


@pytest.mark.parametrize(("case", "message"), [
    ("wrong_pin", "Falsche PIN. Noch 2 Versuche."),
    ("blocked", "Diese Karte ist nach zu vielen falschen PIN-Eingaben gesperrt. "
                "Der IT-Service kann sie entsperren."),
    ("unknown", "Diese Karte ist nicht für die Anmeldung von Mitarbeitenden registriert. "),
    ("revoked", "Diese Karte wurde gesperrt und gilt hier nicht mehr."),
    ("pulled", "Die Karte wurde herausgezogen. Bitte stecken Sie sie wieder ein"),
])
def test_helper_mode_refusals_show_their_message(tmp_path: Path, reader: PcscCardReader,
                                                 case: str, message: str) -> None:
    """Each refusal leaves the visit as it was and shows its sentence (German for staff)."""
    card = VirtualPivCard(tries_left=0 if case == "blocked" else 3)
    listed = VirtualPivCard() if case == "unknown" else card
    with _helper_mode(tmp_path, member(listed, revoked=case == "revoked")) as (
            helper, session, ui):
        _visitor_with_a_page(session)
        with _inserted(card, reader) as vpcd:
            if case in ("wrong_pin", "pulled"):
                _until(ui, lambda: helper.phase is Phase.PIN)
                if case == "pulled":
                    vpcd.remove_after = 1  # VERIFY answered, the card is gone before it signs
                helper.enter_pin("999999" if case == "wrong_pin" else PIN)
            _until(ui, lambda: helper.error is not None)
            error = helper.error
            assert error is not None
            assert staff_card_message(error, "de").startswith(message), error.code
            assert session.overlays.top is None and session.state is SessionState.DOCUMENTS
            if case == "wrong_pin":  # the holder may try again on the same card
                helper.enter_pin(PIN)
                _until(ui, lambda: helper.phase is Phase.ACTIVE)
                helper.hand_back(session)
        _until(ui, lambda: not ui.posted and helper.phase is Phase.IDLE)
