"""Walk a session to any screen with sample data, through the visitor's own actions.

Used by ``kiosk screenshot`` and the benchmark. The customer number is the site's own
example number; pages come from the simulated camera's sample documents.
"""

from __future__ import annotations

from collections.abc import Callable

from kiosk.session.letter import LetterState
from kiosk.session.session import Session
from kiosk.session.states import Event, SessionState
from scanning.checklist import Checklist
from scanning.letter import parse_letter_text

S = SessionState

#: An invented request letter for the checklist screen (its number is the site's example).
DEMO_LETTER = """Jobcenter Musterstadt
Kundennummer: {number}
Musterstadt, 12.02.2027
Aufforderung zur Mitwirkung
für die Bearbeitung Ihres Antrags auf Bürgergeld benötigen wir folgende Unterlagen:
- Kontoauszüge der letzten drei Monate
- Arbeitsunfähigkeitsbescheinigung
- Fahrzeugschein
Bitte reichen Sie die Unterlagen bis zum 28.02.2027 ein.
"""


def demo_letter(session: Session) -> LetterState:
    """The invented request letter's facts and checklist (no image: nothing was scanned)."""
    formats = session.config.site.customer_number_formats
    facts = parse_letter_text(DEMO_LETTER.format(number=formats[0].example), formats)
    return LetterState(facts=facts, checklist=Checklist.from_letter(facts),
                       number_confirmed=True)


def walk_to(session: Session, target: str, capture_page: Callable[[Session], None]) -> None:
    """Drive ``session`` from attract to the screen named ``target``."""
    goal = SessionState(target)
    if goal is S.ATTRACT:
        return
    session.dispatch(Event.TOUCH)
    if goal is S.LANGUAGE:
        return
    session.dispatch(Event.CHOOSE_LANGUAGE)
    if goal is S.IDENTIFY:
        return
    if goal is S.LETTER:
        session.dispatch(Event.SCAN_LETTER)
        return
    session.identify(session.config.site.customer_number_formats[0].example)
    if goal is S.CHOOSE_TASK:
        return
    if goal is S.CHECKLIST:
        session.data.letter = demo_letter(session)
        session.dispatch(Event.SHOW_CHECKLIST)
        return
    if goal is S.STAFF_HELP:
        session.dispatch(Event.CHOOSE_STAFF_HELP)
        return
    call_steps = ((S.CALL_CHECK, Event.CHOOSE_VIDEO), (S.CALL_CONSENT, Event.DEVICES_OK),
                  (S.CALL_WAITING, Event.CONSENTED), (S.IN_CALL, Event.CALL_CONNECTED))
    if goal is S.CALL_CODE:
        for event in (Event.CHOOSE_VIDEO, Event.DEVICES_OK, Event.ENTER_CODE):
            session.dispatch(event)
        return
    if goal in {state for state, _ in call_steps}:
        for state, event in call_steps:
            session.dispatch(event)
            if goal is state:
                return
    session.choose_upload()
    if goal is S.CAPTURE:
        return
    capture_page(session)
    session.dispatch(Event.PAGE_DONE)
    if goal is S.DOCUMENTS:
        return
    session.dispatch(Event.FINISH)
    if goal is S.SUMMARY:
        return
    if goal in (S.RECEIPT, S.GOODBYE):
        raise ValueError("receipt and goodbye need a submission: use the UI flow")
