"""UI scenario of helper mode: a staff card and PIN during a visit, the helper bar, the tools,
hand back and the visitor's confirmation, then an ops card's maintenance panel
(``python -m tests.ui.scenarios helper_mode``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kiosk.screens.base import post_to_ui
from kiosk.session.states import Event
from tests.ui.driver import UiDriver, type_number


async def helper_mode(ui: UiDriver) -> dict[str, Any]:
    """A visit at the identify step → "Help" (offline: where the desk is) → staff card + PIN →
    the helper bar (German and Arabic, 100 % and 200 %), the tools, hand back → the visitor
    confirms; nothing of the visit lost. Then an ops card at the idle terminal: maintenance."""
    app, session = ui.app, ui.app.session
    reader = app.services.helper.auth.reader
    await ui.wait_for(lambda: app.root.current == "attract")
    await ui.tap("start")
    await ui.tap("de")
    await ui.wait_for(lambda: app.root.current == "identify")
    await type_number(ui, "123A456789")
    # "Help" in the bottom bar of every screen; no agent here, so it says where the desk is
    await ui.tap("get_help")
    notice = app.overlays.help
    await ui.wait_for(lambda: notice.text, timeout_s=30)
    offline_help = notice.text
    await ui.shot("help-offline-de")
    await ui.tap("close")
    reader.insert(HELPER_CARD[0])
    await ui.wait_for(lambda: ui.find("card_pin_1"), timeout_s=30)
    await ui.shot("helper-pin-de")
    session.set_language("ar")
    session.set_text_scale(2.0)
    await ui.frames(10)
    for digit in "999999":  # a wrong PIN first: the pad says how many tries are left
        await ui.tap(f"card_pin_{digit}")
    await ui.tap("card_pin_confirm")
    pad = app.helper_ui.pin
    await ui.wait_for(lambda: pad.message, timeout_s=30)
    wrong_pin = pad.message
    await ui.frames(4)
    await ui.shot("helper-pin-wrong-ar-200")
    session.set_language("de")
    session.set_text_scale(1.0)
    await ui.frames(10)  # the pad is laid out anew before the keys are touched
    for digit in "123456":
        await ui.tap(f"card_pin_{digit}")
    await ui.tap("card_pin_confirm")
    await ui.wait_for(lambda: app.helper_ui.shown or pad.message.startswith("Falsche PIN. Noch 1"),
                      timeout_s=30)
    assert app.helper_ui.shown, f"PIN {pad.typed!r} refused: {pad.message}"
    identify = app.root.get_screen("identify")
    masked = identify.spaced(app.personal(identify.typed, app.helper_masks))
    shots = []
    for lang in ("de", "ar"):
        for scale in (1.0, 2.0):
            session.set_language(lang)
            session.set_text_scale(scale)
            await ui.frames(8)
            name = f"helper-bar-{lang}-{int(scale * 100)}"
            await ui.shot(name)
            shots.append(name)
    focusable = [getattr(w, "action", "") for w in app.focus.controls()]
    await ui.tap("helper_tools")
    await ui.frames(4)
    await ui.shot("helper-tools-ar-200")
    await ui.tap("helper_take_over")
    await ui.tap("close")
    await ui.tap("helper_reveal")
    revealed = not app.helper_masks
    if not session.presentation.speech:
        session.toggle("speech")
    await ui.tap("helper_hand_back")
    await ui.wait_for(lambda: ui.find("helper_confirm"), timeout_s=30)
    spoken_confirm = app.services.speech.last_text
    await ui.shot("helper-confirm-ar-200")
    await ui.tap("helper_confirm")
    audit = session.data.helper
    actions = [e.action for e in audit.entries]
    confirmed = audit.confirmed_at is not None
    screen, number, bar_gone = app.root.current, identify.typed, not app.helper_ui.shown
    # An ops card at the idle terminal opens maintenance.
    session.dispatch(Event.END)
    reader.remove()
    await ui.wait_for(lambda: app.root.current == "attract")
    await ui.frames(10)
    reader.insert(HELPER_CARD[1])
    await ui.wait_for(lambda: ui.find("card_pin_1"), timeout_s=30)
    for digit in "123456":
        await ui.tap(f"card_pin_{digit}")
    await ui.tap("card_pin_confirm")
    await ui.wait_for(lambda: ui.find("maintenance_print"), timeout_s=30)
    await ui.frames(6)
    await ui.shot("maintenance-open-de")
    await ui.tap("maintenance_print")
    panel = app.helper_ui.maintenance
    await ui.wait_for(lambda: "Testseite" in panel.result, timeout_s=60)
    await ui.shot("maintenance-de")
    maintenance = panel.result
    await ui.tap("close")
    return {"bar_gone": bar_gone, "screen": screen, "number_kept": number, "masked": masked,
            "revealed": revealed, "confirmed": confirmed, "actions": actions, "shots": shots,
            "offline_help": offline_help, "maintenance": maintenance, "focusable": focusable,
            "wrong_pin": wrong_pin,
            "bar_px_after": app.helper_bar_px, "spoken_confirm": spoken_confirm}


HELPER_CARD: list[Any] = []


def with_helper_card(services: Any, data: Path) -> None:
    """Helper mode over a scripted reader and a staff directory signed by the test centre."""
    from device_drivers.card_reader.piv_card import VirtualPivCard
    from device_drivers.card_reader.simulated import SimulatedCardReader
    from kiosk.controllers.helper import HelperController, page_check
    from kiosk.controllers.runner import start_thread
    from kiosk.staffcard.authenticator import StaffCardAuthenticator
    from tests.staffcard.fakes import directory_bundle, directory_store, member

    card, ops = VirtualPivCard(), VirtualPivCard()
    HELPER_CARD.extend([card, ops])
    store = directory_store(data / "cards")
    store.apply(directory_bundle([member(card, staff_id="aschmidt", name="Anna Schmidt"),
                                  member(ops, staff_id="otech", name="Olga Tech",
                                         roles=("ops",))]))
    services.helper = HelperController(
        StaffCardAuthenticator(SimulatedCardReader(), store), services.agent.call,
        page_check(services.config.scanning), run=start_thread, post=post_to_ui, poll_s=0.05)
