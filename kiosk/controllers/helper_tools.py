"""The helper's tools in helper mode: what a member of staff may do for the visitor.

A mixin of ``HelperController`` (``kiosk.controllers.helper``), split off to keep each file
small; every tool runs on the UI thread, acts on the session passed in, and writes one
action into the visit's audit trail (``kiosk.session.helper_audit``):

    explain            the step with German beneath the visitor's language
    take_over / give_input_back   staff type and tap; steps done meanwhile are recorded
    step_back          one step back (the data stays)
    recheck            a rejected page's check run again (on a worker)
    send_anyway        keep a rejected page, with one of ``SEND_ANYWAY_REASONS``
    call_colleague     a desk call marked ``staff_support`` ("staff asks for support")
    reveal             the visitor tapped "show my data to staff"
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from config.scanning import ScanQualityConfig
from foundation.errors import KioskError, SessionError
from kiosk.controllers.runner import Post, Runner
from kiosk.session import helper_audit as audit
from kiosk.session.session import Session
from kiosk.session.states import Event

if TYPE_CHECKING:
    from kiosk.staffcard.authenticator import StaffLogin

log = logging.getLogger(__name__)

AgentCall = Callable[..., dict[str, Any]]
#: (page image bytes) → (accepted, reasons): the capture check run again
CheckImage = Callable[[bytes], tuple[bool, tuple[str, ...]]]
SUPPORT_STEP = "staff_support"
#: Reasons a member of staff may give for "send anyway" (codes; the screen translates them).
SEND_ANYWAY_REASONS = ("readable_for_staff", "original_is_poor", "checked_with_original")


class HelperTools:
    """The tools; ``HelperController`` supplies the state they use."""

    agent_call: AgentCall
    check_image: CheckImage
    run: Runner
    post: Post
    now: Callable[[], datetime]
    login: StaffLogin | None
    taken_over: bool
    revealed: bool

    @property
    def active(self) -> bool:
        """Helper mode is on (the controller says)."""
        raise NotImplementedError

    def _changed(self, what: str) -> None:
        raise NotImplementedError

    def _record(self, session: Session, action: str, detail: str | None = None) -> None:
        if not self.active:
            raise SessionError("helper mode is not on", code="helper_not_active")
        session.data.helper.record(self.now(), action, detail)
        self._changed("audit")

    def explain(self, session: Session) -> None:
        """Show the step with German beneath the visitor's language."""
        self._record(session, audit.EXPLAINED, session.state.value)
        if not session.presentation.dual_language:
            session.toggle("dual_language")

    def take_over(self, session: Session) -> None:
        """Staff type and tap for the visitor; steps done meanwhile are recorded."""
        if not self.taken_over:
            self._record(session, audit.TOOK_OVER, session.state.value)
            self.taken_over = True

    def give_input_back(self, session: Session) -> None:
        """The visitor types and taps again."""
        if self.taken_over:
            self._record(session, audit.GAVE_INPUT_BACK, session.state.value)
            self.taken_over = False

    def step_back(self, session: Session) -> bool:
        """One step back (False where there is none); the data stays."""
        if not self.active or not session.can(Event.BACK):
            return False
        came_from = session.state.value
        session.dispatch(Event.BACK)
        self._record(session, audit.WENT_BACK, f"{came_from} -> {session.state.value}")
        return True

    def rejected_pages(self, session: Session) -> list[int]:
        """Indices of the current document's pages that were rejected and not yet usable."""
        doc = session.current_document
        return [] if doc is None else [i for i, p in enumerate(doc.pages) if not p.usable]

    def recheck(self, session: Session, index: int,
                done: Callable[[bool, tuple[str, ...]], None]) -> None:
        """Run a rejected page's check again on a worker; ``done(accepted, reasons)``."""
        doc = session.current_document
        if doc is None or not 0 <= index < len(doc.pages):
            raise SessionError("no such page", code="no_such_page")
        page, visit = doc.pages[index], session.visit
        image = session.page_image(page)

        def work() -> None:
            try:
                accepted, reasons = self.check_image(image)
            except KioskError as exc:
                accepted, reasons = False, (exc.code,)
            self.post(lambda: finish(accepted, reasons))

        def finish(accepted: bool, reasons: tuple[str, ...]) -> None:
            if session.visit != visit or not self.active or doc.pages[index] is not page:
                return  # the visit, helper mode or the page changed meanwhile
            if accepted:
                doc.pages[index] = replace(page, accepted=True, reasons=())
                session.redraw()
            result = "accepted" if accepted else "rejected: " + ", ".join(reasons)
            self._record(session, audit.RECHECKED, f"page {index + 1} {result}")
            done(accepted, reasons)

        self.run("helper-recheck", work)

    def send_anyway(self, session: Session, index: int, reason: str) -> None:
        """Keep a rejected page with the helper's reason (one of ``SEND_ANYWAY_REASONS``)."""
        if reason not in SEND_ANYWAY_REASONS:
            raise SessionError(f"unknown reason {reason!r}", code="reason_needed")
        doc = session.current_document
        if doc is None or index not in self.rejected_pages(session):
            raise SessionError("no rejected page there", code="no_such_page")
        self._record(session, audit.SENT_ANYWAY, f"page {index + 1}: {reason}")
        doc.pages[index] = replace(doc.pages[index], sent_anyway=True)
        if session.data.retake_index == index:
            session.data.retake_index = None
        session.redraw()

    def call_colleague(self, session: Session, done: Callable[[bool], None]) -> None:
        """Raise a desk call marked "staff asks for support" (in German, for the desk)."""
        self._record(session, audit.CALLED_COLLEAGUE, session.state.value)

        def work() -> None:
            try:
                self.agent_call("help_cancel")  # the visitor's own call is answered by now
                answer = self.agent_call("staff_call", language="de", step=SUPPORT_STEP)
                ok = bool(answer.get("ok")) and answer.get("state") in ("sent", "acknowledged")
            except KioskError as exc:
                log.info("support call not delivered (%s)", exc.code)
                ok = False
            self.post(lambda: done(ok))

        self.run("helper-support-call", work)

    def reveal(self, session: Session) -> None:
        """The visitor tapped to show their personal data to the helper."""
        if self.active and not self.revealed:
            self.revealed = True
            self._record(session, audit.REVEALED)



def page_check(config: ScanQualityConfig) -> CheckImage:
    """The capture screen's page check over a stored page image (for "check again")."""
    def check(image_jpeg: bytes) -> tuple[bool, tuple[str, ...]]:
        import scanning
        from kiosk.controllers.capture import decode_jpeg

        verdict = scanning.check_page(decode_jpeg(image_jpeg), config)
        return verdict.accepted, verdict.reasons

    return check
