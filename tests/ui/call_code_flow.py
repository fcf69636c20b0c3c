"""The appointment-code scenario: choose task → video → device check → consent → "I have an
appointment code" → a typo and an unknown code on the keypad (the embedded job centre answers
``code_unknown``), shown in German and Arabic at 100 % and 200 %. Run by ``tests.ui.scenarios``.
"""

from __future__ import annotations

from typing import Any

from tests.ui.driver import UiDriver

UNKNOWN = "K7MQ4XP2AB3D"  # well formed, never issued by this job centre


async def type_code(ui: UiDriver, code: str) -> None:
    """Type on the code keypad, switching between letter and digit keys as needed."""
    letters = bool(ui.app.root.get_screen("call_code").letters)
    for char in code:
        if char.isalpha() != letters:
            await ui.tap("toggle_letters")
            letters = not letters
        await ui.tap(f"key_{char}")


async def call_code_flow(ui: UiDriver) -> dict[str, Any]:
    """Walk to the code step by touch; type a typo, then an unknown code; look at both."""
    from tests.ui.driver import type_number
    from tests.ui.layout_checks import clipped_labels, small_targets

    app, session = ui.app, ui.app.session
    await ui.wait_for(lambda: app.root.current == "attract")
    await ui.tap("start")
    await ui.wait_for(lambda: app.root.current == "language")
    await ui.tap("de")
    await ui.wait_for(lambda: app.root.current == "identify")
    await type_number(ui, "123A456789")
    await ui.tap("next")
    await ui.wait_for(lambda: app.root.current == "choose_task")
    await ui.tap("video")
    await ui.wait_for(lambda: app.root.current == "call_check")
    await ui.tap("next")
    await ui.wait_for(lambda: app.root.current == "call_consent")
    await ui.tap("enter_code")
    await ui.wait_for(lambda: app.root.current == "call_code")
    screen = app.root.get_screen("call_code")
    observed: dict[str, Any] = {"problems": {}, "texts": {}}

    async def look(name: str) -> None:
        for lang in ("de", "ar"):
            for scale in (1.0, 2.0):
                session.presentation.language, session.presentation.text_scale = lang, scale
                session.redraw()
                await ui.frames(4)
                key = f"{name}-{lang}-{int(scale * 100)}"
                await ui.shot(key)
                found = clipped_labels(screen) + small_targets(screen, app.touch_px)
                if found:
                    observed["problems"][key] = found
                observed["texts"][key] = screen.ids.problem_label.text

    await type_code(ui, "K7MQ4")  # too short: refused at the kiosk
    await ui.tap("next")
    await ui.wait_for(lambda: screen.problem == "code_invalid")
    await look("call_code-typo")
    session.presentation.language, session.presentation.text_scale = "de", 1.0
    session.redraw()
    await ui.frames(2)
    for _ in range(5):
        await ui.tap("delete")
    await type_code(ui, UNKNOWN)
    observed["typed"] = screen.typed
    await ui.tap("next")
    await ui.wait_for(lambda: screen.problem and screen.problem != "code_invalid",
                      timeout_s=90)
    observed["refusal"] = screen.problem
    await look("call_code-unknown")
    observed["screen"] = app.root.current
    return observed
