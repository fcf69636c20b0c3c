"""One visitor's session as a plain state machine (no Kivy, clock injected).

The UI forwards actions here and redraws from ``state`` and the data; listeners hear every
change. Every way back to the attract screen (goodbye, "end", inactivity, BACK from the
language choice) wipes everything of the visit: scratch files, their rows, the customer
number, the documents, the presentation (submitted documents are in the outbox already).
Overlays (helper bar, out-of-service lock) and sub-flows lie above the step and never lose
it (``kiosk.session.layers``): a lock refuses the visitor's input, a pausing overlay holds
the countdowns, which start over from a full period when it goes.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from config.model import KioskConfig
from foundation.errors import SessionError
from kiosk.session.customer_number import NumberCheck, check_number
from kiosk.session.documents import DocumentDraft, PageRecord
from kiosk.session.helper_audit import HelperAudit
from kiosk.session.inactivity import Inactivity, InactivityTimer
from kiosk.session.layers import Bookmark, OverlayStack, SubFlowStack
from kiosk.session.scratch import SessionScratch, open_scratch
from kiosk.session.states import (
    BACK,
    SUB_FLOWS,
    TIMED_STATES,
    TRANSITIONS,
    Event,
    Overlay,
    SessionState,
    SubFlow,
)

log = logging.getLogger(__name__)

Clock = Callable[[], float]
Listener = Callable[["Session", str], None]
#: Events that are not the visitor's input: a lock does not refuse them.
NOT_INPUT = frozenset({Event.END, Event.TIMEOUT})


@dataclass
class Presentation:
    """How the visitor wants to see and hear the terminal; survives screen changes."""

    language: str = "de"
    text_scale: float = 1.0
    theme: str = "default"
    dual_language: bool = False
    low_reach: bool = False
    speech: bool = False


@dataclass
class SessionData:
    """Everything personal of a session; replaced wholesale on wipe."""

    customer_number: str | None = None
    documents: list[DocumentDraft] = field(default_factory=list)
    current: int = -1
    retake_index: int | None = None
    submission: Any = None
    number_problem: NumberCheck | None = None
    letter: Any = None  # kiosk.session.letter.LetterState while a letter is in play
    helper: HelperAudit = field(default_factory=HelperAudit)  # staff help during the visit
    hand_in_after_call: bool = False  # pages from a video call wait for the number


class Session:
    """The kiosk's session state machine."""

    def __init__(self, config: KioskConfig, clock: Clock, scratch_root: Path) -> None:
        self.config = config
        self.clock = clock
        self.scratch_root = scratch_root
        self.state = SessionState.ATTRACT
        self.presentation = Presentation(language=config.accessibility.default_language)
        self.data = SessionData()
        self.scratch: SessionScratch | None = None
        s = config.session
        self.timer = InactivityTimer(s.inactivity_timeout_s, s.warning_before_s, s.max_extensions)
        self.warning_shown = False
        self._goodbye_since: float | None = None
        self._listeners: list[Listener] = []
        self.overlays = OverlayStack()
        self.sub_flows = SubFlowStack()
        self.visit = 0  # counts wipes: a late worker result can tell it belongs to a past visit

    # -- observers -------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        """Call ``listener(session, what)`` after every change."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        """Stop calling ``listener`` (the UI does so when its window closes)."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _changed(self, what: str) -> None:
        for listener in list(self._listeners):
            listener(self, what)

    # -- moving between states ---------------------------------------------------------
    @property
    def accepts_input(self) -> bool:
        """False while an overlay (the lock) refuses the visitor's input."""
        return not self.overlays.blocks_input

    def can(self, event: Event) -> bool:
        """Whether ``event`` is allowed now."""
        if event not in NOT_INPUT and not self.accepts_input:
            return False
        if event is Event.BACK:
            return self.state in BACK or self.sub_flows.at_entry(self.state)
        if event in NOT_INPUT:
            return self.state is not SessionState.ATTRACT
        return (self.state, event) in TRANSITIONS

    def dispatch(self, event: Event) -> SessionState:
        """Apply ``event``; raise ``SessionError`` if the state does not allow it."""
        if event not in NOT_INPUT and not self.accepts_input:
            raise SessionError(f"{event.value} refused: input is locked", code="input_locked")
        if event is Event.BACK:
            if self.state not in BACK and not self.sub_flows.at_entry(self.state):
                raise SessionError(f"no way back from {self.state.value}")
            return self._go(BACK.get(self.state, self.state), back=True)
        if event in NOT_INPUT:
            self.wipe()
            return self.state
        target = TRANSITIONS.get((self.state, event))
        if target is None:
            raise SessionError(f"{event.value} not allowed in {self.state.value}")
        return self._go(target)

    def _go(self, target: SessionState, back: bool = False) -> SessionState:
        """The one way to move: attract always wipes; leaving a sub-flow returns from it."""
        if target is SessionState.ATTRACT:
            self.wipe()
            return self.state
        if self.sub_flows.leads_out(self.state, target, back):
            return self.leave_sub_flow()
        return self._enter(target)

    def _enter(self, target: SessionState) -> SessionState:
        if self.state is SessionState.ATTRACT and target is not SessionState.ATTRACT:
            self.scratch = open_scratch(self.scratch_root)
            self.timer.reset(self.clock())
        self.state = target
        self.warning_shown = False
        self._goodbye_since = self.clock() if target is SessionState.GOODBYE else None
        self.timer.touch(self.clock())
        self._changed("state")
        return target

    # -- overlays and sub-flows ----------------------------------------------------------
    def show_overlay(self, overlay: Overlay) -> None:
        """Lay ``overlay`` over the step (the step and its data stay as they are)."""
        paused = self.overlays.pauses_timeout
        if not self.overlays.push(overlay):
            return
        if self.overlays.pauses_timeout and not paused and self.warning_shown:
            self.warning_shown = False  # nobody is idle while staff help or the terminal is locked
            self._changed("warning")
        self._changed("overlay")

    def close_overlay(self, overlay: Overlay) -> None:
        """Take ``overlay`` away; the countdowns start over when the last pausing one goes."""
        paused = self.overlays.pauses_timeout
        if not self.overlays.remove(overlay):
            return
        if paused and not self.overlays.pauses_timeout:
            now = self.clock()
            self.timer.touch(now)
            if self._goodbye_since is not None:
                self._goodbye_since = now
        self._changed("overlay")

    def enter_sub_flow(self, flow: SubFlow) -> SessionState:
        """Start ``flow`` from the current step, which is bookmarked to return to."""
        spec = SUB_FLOWS[flow]
        if not self.accepts_input:
            raise SessionError(f"{flow.value} refused: input is locked", code="input_locked")
        if self.state not in spec.hosts:
            raise SessionError(f"{flow.value} cannot start in {self.state.value}")
        self.sub_flows.push(Bookmark(flow, self.state, self.data.current, self.data.retake_index))
        return self._enter(spec.entry)

    def leave_sub_flow(self) -> SessionState:
        """End the innermost sub-flow: back to the bookmarked step and document."""
        if self.sub_flows.current is None:
            raise SessionError("no sub-flow is running")
        bookmark = self.sub_flows.pop()
        self.data.current, self.data.retake_index = bookmark.current, bookmark.retake_index
        return self._enter(bookmark.state)

    # -- visitor actions -----------------------------------------------------------------
    def activity(self) -> None:
        """Any touch or key press: the visitor is still here (not counted while locked)."""
        if not self.accepts_input:
            return
        self.timer.touch(self.clock())
        if self.warning_shown:
            self.warning_shown = False
            self._changed("warning")

    def choose_language(self, language: str) -> None:
        """Pick a language on the language screen (moves on to identification)."""
        self.set_language(language)
        self.dispatch(Event.CHOOSE_LANGUAGE)

    def set_language(self, language: str) -> None:
        """Switch language anywhere without losing progress."""
        if language not in self.config.accessibility.languages:
            raise SessionError(f"language {language!r} not offered here")
        self.presentation.language = language
        self.activity()
        self._changed("presentation")

    def redraw(self) -> None:
        """Ask the UI to redraw with the current presentation."""
        self._changed("presentation")

    def set_text_scale(self, scale: float) -> None:
        """Change text size (1.0 … 2.0) anywhere without losing progress."""
        self.presentation.text_scale = min(2.0, max(1.0, scale))
        self.activity()
        self._changed("presentation")

    def toggle(self, option: str) -> None:
        """Flip a presentation switch: dual_language, low_reach, speech, high contrast."""
        p = self.presentation
        if option == "high_contrast":
            p.theme = "default" if p.theme == "high_contrast" else "high_contrast"
        elif option in ("dual_language", "low_reach", "speech"):
            setattr(p, option, not getattr(p, option))
        else:
            raise SessionError(f"unknown option {option!r}")
        self.activity()
        self._changed("presentation")

    def identify(self, raw_number: str) -> NumberCheck:
        """Check a typed customer number; move on only if it is valid."""
        result = check_number(raw_number, self.config.site.customer_number_formats)
        self.data.number_problem = None if result.ok else result
        if result.ok:
            self.data.customer_number = result.normalized
            self.dispatch(Event.NUMBER_FOR_HAND_IN if self.data.hand_in_after_call
                          else Event.IDENTIFIED)
        else:
            self.activity()
            self._changed("identify")
        return result

    # -- documents -------------------------------------------------------------------
    def start_document(self) -> DocumentDraft:
        """Begin a new document and go to capture."""
        self.data.documents.append(DocumentDraft())
        self.data.current = len(self.data.documents) - 1
        self.data.retake_index = None
        return self.data.documents[-1]

    @property
    def current_document(self) -> DocumentDraft | None:
        """The document being captured or reviewed."""
        if 0 <= self.data.current < len(self.data.documents):
            return self.data.documents[self.data.current]
        return None

    def choose_upload(self) -> None:
        """Start the upload task with a first, empty document."""
        self.start_document()
        self.dispatch(Event.CHOOSE_UPLOAD)

    def store_page(
        self, image_bytes: bytes, accepted: bool, reasons: tuple[str, ...], size: tuple[int, int]
    ) -> PageRecord:
        """Keep a captured page (encrypted) in the current document, or retake one."""
        if self.scratch is None or self.current_document is None:
            raise SessionError("no document is being captured")
        ref = self.scratch.put(image_bytes, kind="page")
        page = PageRecord(
            image_ref=ref, sha256=hashlib.sha256(image_bytes).digest(), accepted=accepted,
            reasons=reasons, rejections=0 if accepted else 1, width=size[0], height=size[1],
        )
        doc = self.current_document
        if self.data.retake_index is not None:
            old = doc.replace(self.data.retake_index, page)
            self.scratch.delete(old.image_ref)
            page = doc.pages[self.data.retake_index]
            if page.accepted:
                self.data.retake_index = None
        else:
            index = doc.add(page)
            if not accepted:
                self.data.retake_index = index
        self.activity()
        self._changed("pages")
        return page

    def retake(self, index: int) -> None:
        """Capture page ``index`` again (from the page list)."""
        doc = self.current_document
        if doc is None or not 0 <= index < len(doc.pages):
            raise SessionError("no such page", code="no_such_page")
        self.data.retake_index = index
        if self.state is SessionState.DOCUMENTS:
            self.dispatch(Event.ADD_PAGE)

    def delete_page(self, index: int) -> PageRecord:
        """Remove a page and its image; returns the removed page."""
        doc = self.current_document
        if doc is None or self.scratch is None:
            raise SessionError("no document")
        page = doc.remove(index)
        self.scratch.delete(page.image_ref)
        self.data.retake_index = None
        self.activity()
        self._changed("pages")
        return page

    def discard_empty_document(self) -> None:
        """Drop the current document when it has no page (the visitor backed out of it)."""
        doc = self.current_document
        if doc is None or doc.pages:
            raise SessionError("only an empty document can be discarded")
        del self.data.documents[self.data.current]
        self.data.current = len(self.data.documents) - 1
        self.data.retake_index = None

    def page_image(self, page: PageRecord) -> bytes:
        """Decrypted image bytes of ``page``."""
        if self.scratch is None:
            raise SessionError("session has no scratch space")
        return self.scratch.get(page.image_ref)

    def ready_documents(self) -> list[DocumentDraft]:
        """Documents that have pages and may be submitted."""
        return [d for d in self.data.documents if d.ready]

    def mark_submitted(self, submission: Any) -> None:
        """The outbox holds the documents now: drop them from the session."""
        if self.scratch is not None:
            for doc in self.data.documents:
                for page in doc.pages:
                    self.scratch.delete(page.image_ref)
        self.data.documents = []
        self.data.current = -1
        self.data.submission = submission
        self.dispatch(Event.SUBMITTED)

    # -- time ----------------------------------------------------------------------------
    def tick(self) -> Inactivity:
        """Advance the inactivity logic to ``clock()``; expires the session if due."""
        now = self.clock()
        if self.overlays.pauses_timeout:
            return Inactivity.ACTIVE
        if self.state is SessionState.GOODBYE:
            since = self._goodbye_since if self._goodbye_since is not None else now
            if now - since >= self.config.session.goodbye_s:
                self.wipe()
                return Inactivity.EXPIRED
            return Inactivity.ACTIVE
        if self.state not in TIMED_STATES:
            return Inactivity.ACTIVE
        phase = self.timer.check(now)
        if phase is Inactivity.EXPIRED:
            log.info("session expired after inactivity")
            self.wipe()
        elif phase is Inactivity.WARNING and not self.warning_shown:
            self.warning_shown = True
            self._changed("warning")
        return phase

    def extend(self) -> bool:
        """The visitor asked for more time."""
        ok = self.timer.extend(self.clock())
        if ok:
            self.warning_shown = False
            self._changed("warning")
        return ok

    def wipe(self) -> None:
        """Erase everything of this session and return to the attract screen."""
        if self.scratch is not None:
            self.scratch.wipe()
            self.scratch = None
        self.data = SessionData()
        self.presentation = Presentation(language=self.config.accessibility.default_language)
        self.state = SessionState.ATTRACT
        self.warning_shown = False
        self._goodbye_since = None
        self.overlays.clear_for_wipe()
        self.sub_flows.clear()
        self.visit += 1
        self._changed("wipe")
