"""UI scenarios run in their own process (one Kivy window per process).

    python -m tests.ui.scenarios NAME --data DIR --shots DIR --out RESULT.json

Each scenario walks the real app with simulated touches on simulated devices and writes
what it observed as JSON; the pytest tests assert on that.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from kiosk.kivy_env import prepare_kivy_environment

prepare_kivy_environment(headless=True, size=(1280, 800))

from accessibility.speech import RecordingSpeech  # noqa: E402
from config.loader import load_config  # noqa: E402
from kiosk.app import KioskApp  # noqa: E402
from kiosk.screens.base import post_to_ui  # noqa: E402
from kiosk.services import build_services  # noqa: E402
from kiosk.session.session import Session  # noqa: E402
from tests.ui.call_code_flow import call_code_flow  # noqa: E402
from tests.ui.driver import UiDriver, run_with, type_number  # noqa: E402
from tests.ui.fleet_lock_flow import fleet_lock, fleet_restart  # noqa: E402
from tests.ui.helper_flow import helper_mode, with_helper_card  # noqa: E402
from tests.ui.letter_flow import letter_flow  # noqa: E402

Scenario = Callable[[UiDriver], Awaitable[dict[str, Any]]]


async def upload_flow(ui: UiDriver) -> dict[str, Any]:
    """Attract → language → identify → task → capture → documents → summary → receipt → goodbye."""
    app, session = ui.app, ui.app.session
    seen: list[str] = []

    def at(name: str) -> bool:
        return bool(app.root.current == name)

    async def arrive(name: str) -> None:
        await ui.wait_for(lambda: at(name))
        seen.append(name)
        await ui.shot(f"{len(seen):02d}-{name}")

    await arrive("attract")
    await ui.tap("start")
    await arrive("language")
    await ui.tap("de")
    await arrive("identify")
    session.toggle("speech")  # "speak everything" from the options panel
    await type_number(ui, "123A45678")  # one digit short: a clear message, no progress
    await ui.tap("next")
    problem = session.data.number_problem.problem if session.data.number_problem else None
    typo_spoken = app.services.speech.last_text
    await ui.shot("identify-typo")
    await ui.tap("key_9")
    await ui.tap("next")
    await arrive("choose_task")
    await ui.tap("upload")
    await arrive("capture")
    capture = app.root.get_screen("capture")
    await ui.wait_for(lambda: capture.mode == "verdict", timeout_s=120)
    await ui.shot("capture-verdict")
    verdict = {"accepted": capture.accepted, "reasons": list(capture.reasons)}
    await ui.tap("next")
    await arrive("documents")
    await ui.tap("next")
    await arrive("summary")
    await ui.tap("next")
    await arrive("receipt")
    receipt = app.root.get_screen("receipt")
    await ui.wait_for(lambda: not receipt.printing, timeout_s=60)
    await ui.shot("receipt-printed")
    receipt_number = receipt.receipt_number
    await ui.tap("next")
    await arrive("goodbye")
    await ui.tap("next")
    await arrive("attract")
    return {"screens": seen, "typo_problem": problem, "typo_spoken": typo_spoken,
            "verdict": verdict,
            "receipt_number": receipt_number, "printed": receipt.printed,
            "customer_number_after": session.data.customer_number}


async def focus_on(ui: UiDriver, action: str, limit: int = 60) -> None:
    """Press Tab until the control ``action`` has the focus (as a blind visitor would)."""
    for _ in range(limit):
        await ui.key(9)
        focused = ui.app.focus.focused
        if focused is not None and getattr(focused, "action", "") == action:
            return
    raise AssertionError(f"Tab never reached {action!r}")


async def keyboard_flow(ui: UiDriver) -> dict[str, Any]:
    """The whole upload flow with key presses only; speech is recorded."""
    app, speech = ui.app, ui.app.services.speech

    async def arrive(name: str) -> None:
        await ui.wait_for(lambda: app.root.current == name)
        await ui.frames(3)

    async def press(action: str) -> None:
        await focus_on(ui, action)
        await ui.key(13)

    await arrive("attract")
    await ui.key(32)
    await arrive("language")
    await press("uk")
    spoken_before_choice = list(speech.spoken)
    await arrive("identify")
    for char in "123a456789":
        await ui.key(ord(char), char)
    await ui.key(282)  # F1: read the screen, the number digit by digit
    spoken_number = speech.last_text
    await ui.key(13)
    await arrive("choose_task")
    await press("upload")
    await arrive("capture")
    capture = app.root.get_screen("capture")
    await ui.wait_for(lambda: capture.mode == "verdict", timeout_s=120)
    await press("next")
    await arrive("documents")
    await press("next")
    await arrive("summary")
    await press("next")
    await arrive("receipt")
    receipt = app.root.get_screen("receipt")
    await ui.wait_for(lambda: not receipt.printing, timeout_s=60)
    await ui.frames(3)
    print_state = receipt.print_text(receipt.printing, receipt.printed)
    receipt_number = receipt.receipt_number  # the screen clears it when the visitor leaves
    await press("next")
    await arrive("goodbye")
    await press("next")
    await arrive("attract")
    after_choice = speech.spoken[len(spoken_before_choice):]
    return {"spoken": [text for text, _lang, _step in after_choice],
            "languages": sorted({lang for _t, lang, _s in after_choice}),
            "language_names": {text: lang for text, lang, _s in spoken_before_choice
                               if lang != "de"},
            "spoken_number": spoken_number, "receipt_number": receipt_number,
            "print_state": print_state}


async def all_screens(ui: UiDriver) -> dict[str, Any]:
    """Every screen in every requested language and text size: PNGs plus layout problems."""
    from kiosk.launch import SCREEN_NAMES
    from kiosk.screens.flows import prepare_screen
    from tests.ui.layout_checks import clipped_labels, small_targets

    app, session = ui.app, ui.app.session
    problems: dict[str, list[str]] = {}
    spoken: dict[str, str] = {}
    shots = 0
    for screen in SCREEN_NAMES:
        session.wipe()
        await ui.frames(2)
        prepare_screen(app, screen, "de", 1.0, "default")
        await ui.wait_for(lambda s=screen: app.root.current == s)
        await ui.wait_for(lambda: app.root.current_screen.is_settled(), timeout_s=60)
        for lang in OPTIONS["langs"]:
            for scale in OPTIONS["scales"]:
                session.presentation.language = lang
                session.presentation.text_scale = scale
                session.presentation.theme = OPTIONS["theme"]
                session.redraw()
                await ui.frames(4)
                key = f"{screen}-{lang}-{int(scale * 100)}"
                await ui.shot(key)
                shots += 1
                current = app.root.current_screen
                found = clipped_labels(current) + small_targets(current, app.touch_px)
                if found:
                    problems[key] = found
                spoken[f"{screen}-{lang}"] = current.spoken_text()
    return {"shots": shots, "problems": problems, "spoken": spoken,
            "touch_px": app.touch_px}


async def capture_verdicts(ui: UiDriver) -> dict[str, Any]:
    """The capture screen's refusal for each page-quality reason named in ``--reasons``
    (after two tries, with "send anyway"), in every requested language and text size."""
    from kivy.uix.scrollview import ScrollView

    from kiosk.screens.flows import prepare_screen
    from tests.ui.layout_checks import clipped_labels, small_targets, walk

    app, session = ui.app, ui.app.session
    prepare_screen(app, "capture", "de", 1.0, "default")
    await ui.wait_for(lambda: app.root.current == "capture")
    capture = app.root.get_screen("capture")
    await ui.wait_for(capture.is_settled, timeout_s=60)
    problems: dict[str, list[str]] = {}
    texts: dict[str, str] = {}
    for reason in OPTIONS["reasons"]:
        for lang in OPTIONS["langs"]:
            for scale in OPTIONS["scales"]:
                session.activity()  # a slow machine must not time the visit out meanwhile
                capture.mode = "checking"  # each verdict laid out afresh, as after a photo
                session.presentation.language = lang
                session.presentation.text_scale = scale
                session.redraw()
                await ui.frames(3)
                capture.mode, capture.accepted = "verdict", False
                capture.reasons, capture.may_send_anyway = [reason], True
                await ui.frames(6)
                for view in walk(capture):  # down to the verdict and its buttons
                    if isinstance(view, ScrollView):
                        view.scroll_y = 0
                await ui.frames(3)
                key = f"capture-{reason}-{lang}-{int(scale * 100)}"
                await ui.shot(key)
                texts[key] = capture.status_text(capture.mode, capture.hint, False, [reason], "")
                if app.root.current != "capture":
                    problems[key] = [f"left the capture screen for {app.root.current}"]
                    continue
                found = clipped_labels(capture) + small_targets(capture, app.touch_px)
                if found:
                    problems[key] = found
    return {"problems": problems, "texts": texts}


async def overlays(ui: UiDriver) -> dict[str, Any]:
    """Every overlay (language list, options, inactivity warning, end, staff PIN) over the
    identify screen, in every requested language and text size."""
    from kiosk.screens.flows import prepare_screen
    from tests.ui.layout_checks import clipped_labels, small_targets

    app, session = ui.app, ui.app.session
    views = app.overlays
    openers = {"language_picker": (views.language, views.open_language_picker),
               "options": (views.options, views.open_options),
               "timeout_warning": (views.timeout, lambda: views.timeout.open()),
               "confirm_end": (views.end, views.confirm_end),
               "staff_pin": (views.staff, views.staff_unlock)}
    prepare_screen(app, "identify", "de", 1.0, "default")
    await ui.wait_for(lambda: app.root.current == "identify")
    problems: dict[str, list[str]] = {}
    shots = 0
    for lang in OPTIONS["langs"]:
        for scale in OPTIONS["scales"]:
            session.presentation.language = lang
            session.presentation.text_scale = scale
            session.redraw()
            for name, (view, open_view) in openers.items():
                open_view()
                await ui.frames(6)
                key = f"overlay-{name}-{lang}-{int(scale * 100)}"
                await ui.shot(key)
                shots += 1
                found = clipped_labels(view) + small_targets(view, app.touch_px)
                if view.y < -1 or view.top > view.get_parent_window().height + 1:
                    found.append(f"overlay {view.height:.0f} px high leaves the window")
                if found:
                    problems[key] = found
                view.dismiss(animation=False)
                await ui.frames(2)
    return {"shots": shots, "problems": problems}


async def back_to_attract(ui: UiDriver) -> dict[str, Any]:
    """A visitor changes every setting on the language screen and taps BACK: the next
    visitor must find the terminal as it was (regression: BACK skipped the wipe)."""
    app, session, speech = ui.app, ui.app.session, ui.app.services.speech
    clean = {"lang": app.lang, "fs_body": app.fs_body, "background": list(app.c["background"]),
             "volume": speech.volume_step, "rate": speech.rate_step}
    await ui.tap("start")
    await ui.wait_for(lambda: app.root.current == "language")
    await ui.tap("text_size")
    await ui.tap("text_size")
    session.toggle("high_contrast")  # as the options panel does
    session.set_language("ar")
    app.change_volume(2)
    app.change_rate(-2)
    await ui.frames(3)
    changed = {"lang": app.lang, "fs_body": app.fs_body,
               "background": list(app.c["background"]), "volume": speech.volume_step,
               "rate": speech.rate_step}
    await ui.tap("back")
    await ui.wait_for(lambda: app.root.current == "attract")
    await ui.frames(3)
    after = {"lang": app.lang, "fs_body": app.fs_body, "background": list(app.c["background"]),
             "volume": speech.volume_step, "rate": speech.rate_step}
    return {"clean": clean, "changed": changed, "after": after,
            "speech_on": session.presentation.speech, "rtl": app.rtl}


async def staff_help(ui: UiDriver) -> dict[str, Any]:
    """Choose task → "Ask staff for help" (the step stays) → the desk answers → shown, spoken."""
    import subprocess
    import sys

    app, session = ui.app, ui.app.session
    await ui.wait_for(lambda: app.root.current == "attract")
    await ui.tap("start")
    await ui.wait_for(lambda: app.root.current == "language")
    await ui.tap("en")
    await ui.wait_for(lambda: app.root.current == "identify")
    await type_number(ui, "123A456789")
    await ui.tap("next")
    await ui.wait_for(lambda: app.root.current == "choose_task")
    await ui.shot("choose_task-before-help")
    session.toggle("speech")
    await ui.tap("staff_help")
    screen = app.root.get_screen("choose_task")
    await ui.wait_for(lambda: bool(screen.help_text), timeout_s=60)
    called = screen.help_text
    await ui.shot("choose_task-help-called")
    status = app.services.agent.call("help_status")
    for _ in range(200):  # an offline first try (service still starting) is sent again
        if status["state"] == "sent":
            break
        await ui.frames(15)
        status = app.services.agent.call("help_status")
    kiosk_id = app.services.agent.call("status")["kiosk_id"]
    subprocess.run(
        [sys.executable, "-m", "jobcentre.cli", "live-send",
         "--data", str(app.services.data_dir / "embedded-server"), "--kiosk-id", kiosk_id,
         "--type", "help.ack",
         "--body", json.dumps({"call_id": status["call_id"], "name": "Dora"})],
        capture_output=True, timeout=60, check=True)
    await ui.wait_for(lambda: "Dora" in screen.help_text, timeout_s=90)
    await ui.shot("choose_task-help-acknowledged")
    return {"called": called, "state": status["state"], "answer": screen.help_text,
            "spoken": app.services.speech.last_text, "screen": app.root.current,
            "customer_number_kept": session.data.customer_number is not None}


OPTIONS: dict[str, Any] = {"langs": ["de", "en"], "scales": [1.0, 2.0], "theme": "default",
                           "reasons": ["faded_text"]}

SCENARIOS: dict[str, Scenario] = {
    "upload_flow": upload_flow, "all_screens": all_screens, "keyboard_flow": keyboard_flow,
    "overlays": overlays, "back_to_attract": back_to_attract, "staff_help": staff_help,
    "letter_flow": letter_flow,
    "helper_mode": helper_mode,
    "capture_verdicts": capture_verdicts,
    "call_code_flow": call_code_flow,
    "fleet_lock": fleet_lock,
    "fleet_restart": fleet_restart,
}


def main() -> None:
    """Run one scenario and write its observations."""
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--shots", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--langs", default="de,en")
    parser.add_argument("--scales", default="1.0,2.0")
    parser.add_argument("--theme", default="default")
    parser.add_argument("--reasons", default="faded_text")
    args = parser.parse_args()
    OPTIONS.update(langs=args.langs.split(","), theme=args.theme,
                   reasons=args.reasons.split(","),
                   scales=[float(s) for s in args.scales.split(",")])
    config = load_config(data_dir=args.data, environ={})
    services = build_services(config, speech=RecordingSpeech(), post_to_ui=post_to_ui)
    if args.scenario == "helper_mode":
        with_helper_card(services, args.data)
    session = Session(config, time.monotonic, args.data / "session")
    app = KioskApp(session, services)
    try:
        result = asyncio.run(run_with(app, SCENARIOS[args.scenario], args.shots))
    finally:
        session.wipe()
        services.close()
    args.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
