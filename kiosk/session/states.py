"""The session's states, the events that move it, and the transition table.

    ATTRACT ─touch→ LANGUAGE ─language→ IDENTIFY ─number ok→ CHOOSE_TASK
    CHOOSE_TASK ─upload→ CAPTURE ⇄ DOCUMENTS ─finish→ SUMMARY ─submit→ RECEIPT ─done→ GOODBYE
    CHOOSE_TASK ─staff_help→ STAFF_HELP ─done→ GOODBYE
    any ─timeout / end→ wipe → ATTRACT ;  GOODBYE ─timeout / touch→ wipe → ATTRACT

Kept as data so that a test can walk every edge and the UI can ask "what may I do now".
"""

from __future__ import annotations

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
    GOODBYE = "goodbye"


class Event(StrEnum):
    """What the visitor (or the clock) did."""

    TOUCH = "touch"
    CHOOSE_LANGUAGE = "choose_language"
    IDENTIFIED = "identified"
    CHOOSE_UPLOAD = "choose_upload"
    CHOOSE_STAFF_HELP = "choose_staff_help"
    PAGE_DONE = "page_done"
    ADD_PAGE = "add_page"
    NEW_DOCUMENT = "new_document"
    FINISH = "finish"
    SUBMITTED = "submitted"
    DONE = "done"
    BACK = "back"
    END = "end"
    TIMEOUT = "timeout"


S, E = SessionState, Event

TRANSITIONS: dict[tuple[SessionState, Event], SessionState] = {
    (S.ATTRACT, E.TOUCH): S.LANGUAGE,
    (S.LANGUAGE, E.CHOOSE_LANGUAGE): S.IDENTIFY,
    (S.IDENTIFY, E.IDENTIFIED): S.CHOOSE_TASK,
    (S.CHOOSE_TASK, E.CHOOSE_UPLOAD): S.CAPTURE,
    (S.CHOOSE_TASK, E.CHOOSE_STAFF_HELP): S.STAFF_HELP,
    (S.CAPTURE, E.PAGE_DONE): S.DOCUMENTS,
    (S.DOCUMENTS, E.ADD_PAGE): S.CAPTURE,
    (S.DOCUMENTS, E.NEW_DOCUMENT): S.CAPTURE,
    (S.DOCUMENTS, E.FINISH): S.SUMMARY,
    (S.SUMMARY, E.SUBMITTED): S.RECEIPT,
    (S.RECEIPT, E.DONE): S.GOODBYE,
    (S.STAFF_HELP, E.DONE): S.GOODBYE,
    (S.GOODBYE, E.TOUCH): S.ATTRACT,
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
}

# States in which the inactivity timer runs (not while idle, submitting or saying goodbye).
TIMED_STATES = frozenset(
    {S.LANGUAGE, S.IDENTIFY, S.CHOOSE_TASK, S.CAPTURE, S.DOCUMENTS, S.SUMMARY, S.STAFF_HELP,
     S.RECEIPT}
)

# Ordered steps of the upload flow, for the progress indicator.
UPLOAD_STEPS: tuple[SessionState, ...] = (
    S.LANGUAGE, S.IDENTIFY, S.CHOOSE_TASK, S.CAPTURE, S.DOCUMENTS, S.SUMMARY, S.RECEIPT,
)
