"""The letter scenario: attract to receipt with a scanned request letter and its checklist.

The simulated camera is scripted with a generated letter (``scanning.synthetic_letters``,
three requested items) and two generated documents of requested types; the real capture
checks, Tesseract and the letter reader run. Run by ``tests.ui.scenarios``.
"""

from __future__ import annotations

from typing import Any

from tests.ui.driver import UiDriver

LETTER = ("tuning", 35)  # one page; bank statement, sick note, vehicle papers; 634M303813
DOCUMENTS = (10, 13)  # scanning.synthetic "good" cases: a bank statement and a sick note
LANG = "ar"


def script_camera(camera: Any) -> dict[str, Any]:
    """Queue the letter and the two documents on the simulated camera; returns the truth."""
    from scanning.synthetic import make_case
    from scanning.synthetic_letters import make_letter

    letter = make_letter(LETTER[1], LETTER[0])
    inner = getattr(camera, "camera", camera)  # SharedCamera → the simulator
    inner.push(letter.pages[0])
    types = []
    for seed in DOCUMENTS:
        case = make_case("good", seed)
        inner.push(case.image)
        types.append(case.document.doc_type if case.document is not None else "other")
    truth = letter.truth
    return {"number": truth.customer_number, "requested": list(truth.requested),
            "deadline": truth.deadline.isoformat() if truth.deadline else None,
            "document_types": types}


async def press(ui: UiDriver, action: str, limit: int = 60) -> None:
    """Tab until ``action`` has the focus, then Enter (as a visitor on the keypad would)."""
    for _ in range(limit):
        await ui.key(9)
        focused = ui.app.focus.focused
        if focused is not None and getattr(focused, "action", "") == action:
            await ui.key(13)
            return
    raise AssertionError(f"Tab never reached {action!r}")


async def at_200(ui: UiDriver, name: str, problems: dict[str, list[str]]) -> None:
    """Photograph the current screen at 200 % text and note clipped text or small targets."""
    from tests.ui.layout_checks import clipped_labels, small_targets

    app = ui.app
    app.session.set_text_scale(2.0)
    await ui.frames(4)
    await ui.shot(f"{name}-200")
    screen = app.root.current_screen
    scroller = screen.ids.frame.ids.scroller
    scroller.scroll_y = 0  # and the end of the screen (its lists)
    await ui.frames(3)
    await ui.shot(f"{name}-200-end")
    scroller.scroll_y = 1
    found = clipped_labels(screen) + small_targets(screen, app.touch_px)
    if found:
        problems[name] = found
    app.session.set_text_scale(1.0)
    await ui.frames(2)


async def letter_flow(ui: UiDriver) -> dict[str, Any]:
    """Scan the letter, confirm its number, capture two of three items, hand in."""
    app, session = ui.app, ui.app.session
    truth = script_camera(app.services.camera)
    seen: list[str] = []
    problems: dict[str, list[str]] = {}

    async def arrive(name: str) -> None:
        await ui.wait_for(lambda: app.root.current == name, timeout_s=120)
        seen.append(name)
        await ui.shot(f"{len(seen):02d}-{name}")

    await arrive("attract")
    await ui.tap("start")
    await arrive("language")
    await ui.tap(LANG)
    await arrive("identify")
    await ui.tap("scan_letter")
    await arrive("letter")
    letter_screen = app.root.get_screen("letter")
    await ui.wait_for(lambda: letter_screen.ids.preview.texture is not None)
    await ui.tap("shutter")  # a flat scan fills the frame: no edges for the automatic photo
    await ui.wait_for(lambda: letter_screen.mode in ("result", "problem"), timeout_s=240)
    await ui.shot("letter-read")
    await at_200(ui, "letter-read", problems)
    shown_number = letter_screen.number
    number_before_confirm = session.data.customer_number
    await ui.tap("next")  # "Yes, this is my number"
    await arrive("checklist")
    checklist = app.root.get_screen("checklist")
    await ui.wait_for(lambda: checklist.total > 0)
    await ui.shot("checklist-open")
    ticks = []
    for _document in DOCUMENTS:
        await ui.tap("next")  # "Photograph a document"
        await arrive("capture")
        capture = app.root.get_screen("capture")
        await ui.wait_for(lambda c=capture: c.mode == "verdict", timeout_s=240)
        await ui.tap("next")  # "Document complete"
        await arrive("documents")
        await ui.tap("show_checklist")
        await arrive("checklist")
        wanted = len(ticks) + 1
        await ui.wait_for(lambda w=wanted: checklist.done >= w, timeout_s=240)
        ticks.append(checklist.done)
        await ui.shot(f"checklist-{checklist.done}-ticked")
    await at_200(ui, "checklist-ticked", problems)
    # Keypad: Tab to the third item, Enter ticks it by hand, again unticks; F1 reads aloud.
    letter = app.services.letter
    await press(ui, "item_2")
    keypad_tick = letter.checklist(session).items[2].ticked_by
    await press(ui, "item_2")
    keypad_untick = letter.checklist(session).items[2].ticked_by
    await ui.key(282)
    spoken_checklist = app.services.speech.last_text
    items = [(i.document_type, i.ticked_by is not None)
             for i in letter.checklist(session).items]
    await ui.tap("finish")
    await arrive("summary")
    summary = app.root.get_screen("summary")
    missing = [t for t, _text in summary.missing]
    summary_spoken = summary.spoken_text()
    await at_200(ui, "summary-missing", problems)
    await ui.tap("next")  # "Hand in now"
    await arrive("receipt")
    receipt = app.root.get_screen("receipt")
    await ui.wait_for(lambda: not receipt.printing, timeout_s=120)
    await ui.shot("receipt-printed")
    result = {"screens": seen, "truth": truth, "shown_number": shown_number,
              "number_before_confirm": number_before_confirm,
              "customer_number": session.data.customer_number, "ticks": ticks, "items": items,
              "missing": missing, "summary_spoken": summary_spoken,
              "keypad_tick": keypad_tick, "keypad_untick": keypad_untick,
              "spoken_checklist": spoken_checklist, "problems": problems,
              "receipt_number": receipt.receipt_number, "printed": receipt.printed,
              "receipt_missing": list(receipt.missing)}
    await ui.tap("next")
    await arrive("goodbye")
    await ui.tap("next")
    await arrive("attract")
    result["letter_after"] = session.data.letter is not None
    return result
