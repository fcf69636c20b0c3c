"""One visitor's session as a plain state machine (no Kivy, clock injected).

The UI forwards actions here and redraws from ``state`` and the data; listeners hear
every change. Leaving (goodbye, "end", inactivity) wipes everything not yet submitted:
scratch files, their rows, the customer number, the documents. Submitted documents
have already left the session for the outbox.
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
from kiosk.session.inactivity import Inactivity, InactivityTimer
from kiosk.session.scratch import SessionScratch, open_scratch
from kiosk.session.states import BACK, TIMED_STATES, TRANSITIONS, Event, SessionState

log = logging.getLogger(__name__)

Clock = Callable[[], float]
Listener = Callable[["Session", str], None]


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
    def can(self, event: Event) -> bool:
        """Whether ``event`` is allowed now."""
        if event is Event.BACK:
            return self.state in BACK
        if event in (Event.END, Event.TIMEOUT):
            return self.state is not SessionState.ATTRACT
        return (self.state, event) in TRANSITIONS

    def dispatch(self, event: Event) -> SessionState:
        """Apply ``event``; raise ``SessionError`` if the state does not allow it."""
        if event is Event.BACK:
            if self.state not in BACK:
                raise SessionError(f"no way back from {self.state.value}")
            return self._enter(BACK[self.state])
        if event in (Event.END, Event.TIMEOUT):
            self.wipe()
            return self.state
        target = TRANSITIONS.get((self.state, event))
        if target is None:
            raise SessionError(f"{event.value} not allowed in {self.state.value}")
        if target is SessionState.ATTRACT:
            self.wipe()
            return self.state
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

    # -- visitor actions -----------------------------------------------------------------
    def activity(self) -> None:
        """Any touch or key press: the visitor is still here."""
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
            self.dispatch(Event.IDENTIFIED)
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

    def delete_page(self, index: int) -> None:
        """Remove a page and its image."""
        doc = self.current_document
        if doc is None or self.scratch is None:
            raise SessionError("no document")
        page = doc.remove(index)
        self.scratch.delete(page.image_ref)
        self.data.retake_index = None
        self.activity()
        self._changed("pages")

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
        self._changed("wipe")
