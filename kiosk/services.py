"""Composition root: builds the devices and services the UI uses from the config.

No Kivy here. Each device is picked by its config section (real driver or simulator);
the UI receives one ``KioskServices`` and never reads the config to find a device.
The controllers behind the screens are built here too, with the background runner and
the UI thread's post injected (see ``kiosk.controllers``).
Tests build their own ``KioskServices`` with scripted simulators.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from accessibility.audio import DEFAULT_RATE_STEP
from accessibility.speech import SpeechOutput, make_speech
from config.model import KioskConfig
from device_drivers.camera import Camera, SharedCamera, create_call_video, create_camera
from device_drivers.loudspeaker import create_loudspeaker
from device_drivers.microphone import create_microphone
from device_drivers.printer.factory import make_printer
from device_drivers.printer.protocol import ReceiptPrinter
from kiosk.agent.client import AgentClient
from kiosk.controllers.capture import CaptureController
from kiosk.controllers.documents import DocumentsController
from kiosk.controllers.gate import GateController
from kiosk.controllers.help import HelpController
from kiosk.controllers.helper import HelperController, page_check
from kiosk.controllers.letter import LetterController
from kiosk.controllers.maintenance import MaintenanceController
from kiosk.controllers.printing import PrintController
from kiosk.controllers.recycle import RecycleController, RecyclePolicy
from kiosk.controllers.runner import Post, Runner, call_now, start_thread
from kiosk.controllers.submit import SubmitController
from kiosk.delivery.service import DeliveryService
from scanning.samples import sample_photos

if TYPE_CHECKING:
    from kiosk.controllers.call import CallController

log = logging.getLogger(__name__)
GATE_TIMEOUT_S = 1.0  # the UI's report to the agent's gate, about once a second


@dataclass
class KioskServices:
    """Everything the screens may use, ready-made."""

    config: KioskConfig
    data_dir: Path
    camera: Camera
    printer: ReceiptPrinter
    speech: SpeechOutput
    delivery: DeliveryService
    agent: AgentClient
    capture: CaptureController
    documents: DocumentsController
    submit: SubmitController
    printing: PrintController
    help: HelpController  # help calls to the service desk
    maintenance: MaintenanceController  # ops/admin card: doctor, test page, camera, outbox
    letter: LetterController | None = None  # the visitor's letter and its checklist
    helper: HelperController | None = None  # staff cards (None without a card reader)
    #: builds the video-call controller on first use, so aiortc and PyAV (about 0.5 s and
    #: 40 MB) load only when a visitor starts video counselling (None: no video calls)
    call_factory: Callable[[], CallController] | None = None
    #: builds the UI's side of the visitor gate for the app's session (None: no agent gate)
    gate_factory: Callable[[Any], GateController] | None = None
    #: hands the screen to a fresh UI process between visitors (``kiosk.ui_host``)
    recycle: RecycleController | None = None
    _call: CallController | None = field(default=None, init=False, repr=False)

    @property
    def call(self) -> CallController | None:
        """The video-call controller (built on first use), or None without video calls."""
        if self._call is None and self.call_factory is not None:
            self._call = self.call_factory()
        return self._call

    def reset_for_next_visitor(self) -> None:
        """After a wipe: silence the last visitor's speech, put volume and speaking rate
        back to the terminal's defaults and drop the page images held for OCR."""
        self.speech.stop()
        self.help.cancel()  # (helper mode follows the session's wipe itself)
        self.speech.set_volume_step(self.config.accessibility.volume_step)
        self.speech.set_rate_step(DEFAULT_RATE_STEP)
        self.capture.forget_all()
        if self._call is not None:
            self._call.wipe()

    def close(self) -> None:
        """Release devices (camera handle, speech worker)."""
        if self.helper is not None:
            self.helper.stop()
        for part in (self._call, self.capture, self.speech, self.delivery):
            closer: Any = getattr(part, "close", None)
            if callable(closer):
                try:
                    closer()
                except Exception:  # noqa: BLE001 - closing must never crash shutdown
                    log.warning("closing %s failed", type(part).__name__, exc_info=True)


def data_paths(data_dir: Path) -> dict[str, Path]:
    """Where each part keeps its state under the data directory."""
    return {
        "session": data_dir / "session",
        "receipts": data_dir / "receipts",
        "agent_socket": data_dir / "agent.sock",
    }


def build_services(
    config: KioskConfig,
    *,
    speech: SpeechOutput | None = None,
    run_in_background: Runner = start_thread,
    post_to_ui: Post = call_now,
) -> KioskServices:
    """Create devices, services and controllers for ``config`` (simulators by default).

    The UI passes ``post_to_ui`` (its own thread's scheduler); ``call_now`` is only for
    callers without a UI, which then get the controllers' answers on the worker thread.
    """
    data_dir = config.resolved_data_dir
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    paths = data_paths(data_dir)
    # one owner for the camera: the document capture and a video call may share it
    camera = SharedCamera(create_camera(config.devices.camera, sample_photos))
    printer = make_printer(config.devices.printer, paths["receipts"])
    delivery = DeliveryService(config, data_dir)
    capture = CaptureController(config, camera)
    agent = AgentClient(paths["agent_socket"])
    devices = config.devices
    letter = LetterController(config, capture, run=run_in_background, post=post_to_ui)

    def make_call() -> CallController:
        from kiosk.call.signalling import CallSignalling
        from kiosk.controllers.call import CallController

        return CallController(
            CallSignalling(agent.call), create_call_video(devices.call_video, camera),
            create_microphone(devices.microphone), create_loudspeaker(devices.microphone),
            post=post_to_ui, staff_call=lambda: agent.call("staff_call", step="in_call"))

    return KioskServices(
        config=config,
        data_dir=data_dir,
        camera=camera,
        printer=printer,
        speech=speech or make_speech(config.accessibility),
        delivery=delivery,
        agent=agent,
        capture=capture,
        documents=DocumentsController(capture),
        submit=SubmitController(capture, delivery, run=run_in_background, post=post_to_ui,
                                letter=letter,
                                note_extensions=HelperController.note_extensions),
        printing=PrintController(delivery, printer, run=run_in_background, post=post_to_ui),
        call_factory=make_call,
        help=HelpController(agent.call, config.site, run=run_in_background, post=post_to_ui),
        letter=letter,
        maintenance=MaintenanceController(config, printer, camera, agent.call,
                                          run=run_in_background, post=post_to_ui),
        helper=_helper(config, agent, run_in_background, post_to_ui),
        gate_factory=lambda session: GateController(
            AgentClient(paths["agent_socket"], timeout_s=GATE_TIMEOUT_S).call, session,
            run=run_in_background, post=post_to_ui),
        recycle=RecycleController(RecyclePolicy(), post=post_to_ui, run=run_in_background),
    )


def _helper(config: KioskConfig, agent: AgentClient, run: Runner,
            post: Post) -> HelperController | None:
    """Helper mode over the configured card reader (None when the kiosk has none)."""
    if config.devices.card_reader.driver == "none":
        return None
    from kiosk.staffcard.wiring import create_authenticator

    return HelperController(create_authenticator(config), agent.call,
                            page_check(config.scanning), run=run, post=post)
