"""The session's states, the events that move it, and the transition table.

    ATTRACT ─touch→ LANGUAGE ─language→ IDENTIFY ─number ok→ CHOOSE_TASK
    CHOOSE_TASK ─upload→ CAPTURE ⇄ DOCUMENTS ─finish→ SUMMARY ─submit→ RECEIPT ─done→ GOODBYE
    CHOOSE_TASK ─staff_help→ STAFF_HELP ─done→ GOODBYE
    CHOOSE_TASK ─video→ CALL_CHECK ─devices ok→ CALL_CONSENT ─consented→ CALL_WAITING
    CALL_CONSENT ─enter_code→ CALL_CODE ─consented (code accepted)→ CALL_WAITING
    CALL_WAITING ─call connected→ IN_CALL ;  CALL_WAITING / IN_CALL ─call ended→ GOODBYE
    IN_CALL ─hand_in (the counsellor asked for a page)→ IDENTIFY / LETTER ─number for the
             hand-in→ SUMMARY (the page then goes like any submission)
    CAPTURE ─cancel_document (first document, no page yet)→ CHOOSE_TASK
    any ─timeout / end→ wipe → ATTRACT ;  GOODBYE ─timeout / touch→ wipe → ATTRACT
    LANGUAGE ─back→ wipe → ATTRACT  (every way to ATTRACT wipes)
    IDENTIFY ─scan_letter→ LETTER ─number confirmed→ CHECKLIST (the letter has a list)
                                  or CHOOSE_TASK (no list) ; LETTER ─back→ IDENTIFY
    CHOOSE_TASK / DOCUMENTS ─show_checklist→ CHECKLIST ─new_document→ CAPTURE
    SUMMARY ─show_checklist→ CHECKLIST ─finish→ SUMMARY ; CHECKLIST ─back→ CHOOSE_TASK

Beside the step, two layers that never replace it (see ``kiosk.session.layers``):

* OVERLAYS lie over the step (a helper bar while staff assist, an out-of-service lock);
  each one's rule says whether it blocks the visitor's input, pauses the inactivity
  countdown and survives the wipe. Closing the last one resumes exactly where it was.
* SUB-FLOWS run a few steps inside another one (a capture inside a video call): entering
  bookmarks the step, and BACK from the entry step, or any event leading outside the
  sub-flow's steps, returns to the bookmark instead.

Kept as data so that a test can walk every edge and the UI can ask "what may I do now".
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class SessionState(StrEnum):
    """Where the visitor is."""

    ATTRACT = "attract"
    LANGUAGE = "language"
    IDENTIFY = "identify"
    CHOOSE_TASK = "choose_task"
    CAPTURE = "capture"
    DOCUMENTS = "documents"
    SUMMARY = "summary"
    RECEIPT = "receipt"
    STAFF_HELP = "staff_help"
    CALL_CHECK = "call_check"  # video counselling: camera, microphone and sound
    CALL_CONSENT = "call_consent"  # who sees and hears the visitor; nothing recorded
    CALL_WAITING = "call_waiting"  # in the queue for a counsellor
    CALL_CODE = "call_code"  # the invitation code of a booked appointment, typed or scanned
    IN_CALL = "in_call"
    GOODBYE = "goodbye"
    LETTER = "letter"  # photograph the job centre's letter: number and checklist read from it
    CHECKLIST = "checklist"  # what the letter asks for, ticked off as documents come


class Event(StrEnum):
    """What the visitor (or the clock) did."""

    TOUCH = "touch"
    CHOOSE_LANGUAGE = "choose_language"
    IDENTIFIED = "identified"
    CHOOSE_UPLOAD = "choose_upload"
    CHOOSE_STAFF_HELP = "choose_staff_help"
    CHOOSE_VIDEO = "choose_video"
    DEVICES_OK = "devices_ok"
    CONSENTED = "consented"
    CALL_CONNECTED = "call_connected"
    CALL_ENDED = "call_ended"
    PAGE_DONE = "page_done"
    ADD_PAGE = "add_page"
    NEW_DOCUMENT = "new_document"
    FINISH = "finish"
    SUBMITTED = "submitted"
    DONE = "done"
    CANCEL_DOCUMENT = "cancel_document"
    BACK = "back"
    END = "end"
    TIMEOUT = "timeout"
    SCAN_LETTER = "scan_letter"
    SHOW_CHECKLIST = "show_checklist"
    ENTER_CODE = "enter_code"  # the visitor has an appointment code
    HAND_IN = "hand_in"  # the call ended with pages the counsellor asked to have handed in
    NUMBER_FOR_HAND_IN = "number_for_hand_in"  # the number for those pages is known


S, E = SessionState, Event

TRANSITIONS: dict[tuple[SessionState, Event], SessionState] = {
    (S.ATTRACT, E.TOUCH): S.LANGUAGE,
    (S.LANGUAGE, E.CHOOSE_LANGUAGE): S.IDENTIFY,
    (S.IDENTIFY, E.IDENTIFIED): S.CHOOSE_TASK,
    (S.CHOOSE_TASK, E.CHOOSE_UPLOAD): S.CAPTURE,
    (S.CHOOSE_TASK, E.CHOOSE_STAFF_HELP): S.STAFF_HELP,
    (S.CAPTURE, E.PAGE_DONE): S.DOCUMENTS,
    (S.CAPTURE, E.CANCEL_DOCUMENT): S.CHOOSE_TASK,
    (S.DOCUMENTS, E.ADD_PAGE): S.CAPTURE,
    (S.DOCUMENTS, E.NEW_DOCUMENT): S.CAPTURE,
    (S.DOCUMENTS, E.FINISH): S.SUMMARY,
    (S.SUMMARY, E.SUBMITTED): S.RECEIPT,
    (S.RECEIPT, E.DONE): S.GOODBYE,
    (S.STAFF_HELP, E.DONE): S.GOODBYE,
    (S.CHOOSE_TASK, E.CHOOSE_VIDEO): S.CALL_CHECK,
    (S.CALL_CHECK, E.DEVICES_OK): S.CALL_CONSENT,
    (S.CALL_CONSENT, E.CONSENTED): S.CALL_WAITING,
    (S.CALL_CONSENT, E.ENTER_CODE): S.CALL_CODE,
    (S.CALL_CODE, E.CONSENTED): S.CALL_WAITING,
    (S.CALL_WAITING, E.CALL_CONNECTED): S.IN_CALL,
    (S.CALL_WAITING, E.CALL_ENDED): S.GOODBYE,
    (S.IN_CALL, E.CALL_ENDED): S.GOODBYE,
    (S.GOODBYE, E.TOUCH): S.ATTRACT,
    # the letter and its checklist
    (S.IDENTIFY, E.SCAN_LETTER): S.LETTER,
    (S.LETTER, E.IDENTIFIED): S.CHOOSE_TASK,
    (S.LETTER, E.SHOW_CHECKLIST): S.CHECKLIST,
    (S.CHOOSE_TASK, E.SHOW_CHECKLIST): S.CHECKLIST,
    (S.DOCUMENTS, E.SHOW_CHECKLIST): S.CHECKLIST,
    (S.SUMMARY, E.SHOW_CHECKLIST): S.CHECKLIST,
    (S.CHECKLIST, E.NEW_DOCUMENT): S.CAPTURE,
    (S.CHECKLIST, E.FINISH): S.SUMMARY,
    # pages from a video call, handed in after it
    (S.IN_CALL, E.HAND_IN): S.IDENTIFY,
    (S.IDENTIFY, E.NUMBER_FOR_HAND_IN): S.SUMMARY,
    (S.LETTER, E.NUMBER_FOR_HAND_IN): S.SUMMARY,
}

# Where "back" leads; states missing here have no back (attract, receipt, goodbye).
BACK: dict[SessionState, SessionState] = {
    S.LANGUAGE: S.ATTRACT,
    S.IDENTIFY: S.LANGUAGE,
    S.CHOOSE_TASK: S.IDENTIFY,
    S.CAPTURE: S.DOCUMENTS,
    S.DOCUMENTS: S.CHOOSE_TASK,
    S.SUMMARY: S.DOCUMENTS,
    S.STAFF_HELP: S.CHOOSE_TASK,
    S.CALL_CHECK: S.CHOOSE_TASK,
    S.CALL_CONSENT: S.CALL_CHECK,
    S.CALL_WAITING: S.CHOOSE_TASK,  # leaves the queue (the controller hangs up)
    S.CALL_CODE: S.CALL_CONSENT,
    S.LETTER: S.IDENTIFY,
    S.CHECKLIST: S.CHOOSE_TASK,
}

# States in which the inactivity timer runs (not while idle, submitting or saying goodbye,
# nor while waiting for or talking to a counsellor: the server ends a call nobody is at).
TIMED_STATES = frozenset(
    {S.LANGUAGE, S.IDENTIFY, S.CHOOSE_TASK, S.CAPTURE, S.DOCUMENTS, S.SUMMARY, S.STAFF_HELP,
     S.RECEIPT, S.CALL_CHECK, S.CALL_CONSENT, S.CALL_CODE, S.LETTER, S.CHECKLIST}
)

# Ordered steps of the upload flow, for the progress indicator.
UPLOAD_STEPS: tuple[SessionState, ...] = (
    S.LANGUAGE, S.IDENTIFY, S.CHOOSE_TASK, S.CAPTURE, S.DOCUMENTS, S.SUMMARY, S.RECEIPT,
)


class Overlay(StrEnum):
    """Something shown over the visitor's step without replacing it."""

    HELPER = "helper"  # a member of staff assists: the helper bar is on top
    OUT_OF_SERVICE = "out_of_service"  # the terminal is locked (fault, maintenance)


@dataclass(frozen=True)
class OverlayRule:
    """What an overlay does to input and time while it is up."""

    blocks_input: bool  # the visitor's events are refused (END and TIMEOUT are not input)
    pauses_timeout: bool  # the inactivity and goodbye countdowns stand still
    survives_wipe: bool  # a state of the terminal, not of the visit


OVERLAY_RULES: dict[Overlay, OverlayRule] = {
    Overlay.HELPER: OverlayRule(blocks_input=False, pauses_timeout=True, survives_wipe=False),
    Overlay.OUT_OF_SERVICE: OverlayRule(blocks_input=True, pauses_timeout=True,
                                        survives_wipe=True),
}


class SubFlow(StrEnum):
    """A few steps run inside another step, which they return to."""

    CAPTURE_IN_CALL = "capture_in_call"  # photograph a document while staff are on a call


@dataclass(frozen=True)
class SubFlowSpec:
    """Where a sub-flow may start, where it begins and which steps belong to it."""

    hosts: frozenset[SessionState]
    entry: SessionState
    steps: frozenset[SessionState]


SUB_FLOWS: dict[SubFlow, SubFlowSpec] = {
    # A counsellor asks for a document during the call (staff help hosts it as well).
    SubFlow.CAPTURE_IN_CALL: SubFlowSpec(hosts=frozenset({S.STAFF_HELP, S.IN_CALL}),
                                         entry=S.CAPTURE,
                                         steps=frozenset({S.CAPTURE, S.DOCUMENTS})),
}
