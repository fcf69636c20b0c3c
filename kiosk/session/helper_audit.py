"""The helper audit trail of one visit: who of the staff helped, when, with what, confirmed?

Pure data, no clock and no Kivy (``HelperController`` passes the times in). It lives in the
session's data, so the wipe erases it with everything else of the visit, and it travels in
every document's sealed transfer note as the ``helper_audit`` v1 extension
(``wire.note_kinds.HelperAuditV1``)::

    staff_id       the first staff member who helped in this visit
    started_at     when helper mode first began;  ended_at: when it last ended
    actions        every helper action in order (as many as the note's limits allow: the
                   first ones and the last one are kept): ``helper_joined`` / ``handed_back`` /
                   ``card_pulled`` carry the staff id as detail, so a second helper (or the
                   same one tapping in again) is part of the same trail
    visitor_confirmed / confirmed_at   the visitor confirmed "I was helped by …" after the
                   last help ended (an unconfirmed help stays ``false``)

Action details are codes, step names, staff ids or the reason a member of staff typed for
"send anyway"; never the visitor's personal data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from wire.codec import canonical_json
from wire.codec import format_time as iso
from wire.note_kinds import MAX_ACTIONS, MAX_LABEL
from wire.transfer_note import HELPER_AUDIT, MAX_EXTENSION_BYTES, NoteExtension

#: Codes of the helper actions (shown in German by ``jobcentre.note_view``).
JOINED = "helper_joined"
EXPLAINED = "explained_screen"
TOOK_OVER = "took_over_input"
GAVE_INPUT_BACK = "gave_input_back"
STEP_BY_STAFF = "step_by_staff"
WENT_BACK = "went_back_step"
RECHECKED = "rechecked_page"
SENT_ANYWAY = "sent_anyway"
CALLED_COLLEAGUE = "called_colleague"
REVEALED = "visitor_revealed_data"
HANDED_BACK = "handed_back"
CARD_PULLED = "card_pulled"
DECLINED = "visitor_declined"


@dataclass(frozen=True)
class AuditEntry:
    """One helper action."""

    at: datetime
    action: str
    detail: str | None = None


@dataclass
class HelperAudit:
    """Every help of one visit, in order."""

    staff_id: str | None = None
    display_name: str = ""
    started_at: datetime | None = None
    ended_at: datetime | None = None
    entries: list[AuditEntry] = field(default_factory=list)
    confirmed_at: datetime | None = None
    awaiting_confirmation: bool = False

    @property
    def empty(self) -> bool:
        """Nobody helped in this visit."""
        return self.staff_id is None

    def begin(self, staff_id: str, display_name: str, at: datetime) -> None:
        """A member of staff tapped in."""
        if self.staff_id is None:
            self.staff_id, self.started_at = staff_id, at
        self.display_name = display_name
        self.ended_at = None
        self.confirmed_at, self.awaiting_confirmation = None, False
        self.record(at, JOINED, staff_id)

    def record(self, at: datetime, action: str, detail: str | None = None) -> None:
        """Write one action (a detail is cut to the note's length limit)."""
        self.entries.append(AuditEntry(at, action, None if detail is None
                                       else detail[:MAX_LABEL]))

    def end(self, at: datetime, how: str, staff_id: str) -> None:
        """Helper mode ended (``handed_back`` or ``card_pulled``); the visitor confirms next."""
        self.ended_at = at
        self.awaiting_confirmation = True
        self.record(at, how, staff_id)

    def confirm(self, at: datetime) -> None:
        """The visitor confirmed "I was helped by …"."""
        self.confirmed_at, self.awaiting_confirmation = at, False

    def extension(self) -> NoteExtension | None:
        """The ``helper_audit`` v1 note extension (None when nobody helped)."""
        if self.staff_id is None or self.started_at is None:
            return None
        actions = [{"at": iso(e.at), "action": e.action,
                    **({"detail": e.detail} if e.detail else {})} for e in self.entries]
        if len(actions) > MAX_ACTIONS:
            actions = actions[:MAX_ACTIONS - 1] + [actions[-1]]
        ended = self.ended_at
        data = {
            "staff_id": self.staff_id,
            "started_at": iso(self.started_at),
            "ended_at": iso(ended) if ended is not None else None,
            "actions": actions,
            "visitor_confirmed": self.confirmed_at is not None,
            "confirmed_at": iso(self.confirmed_at) if self.confirmed_at else None,
        }
        # The note's size limit: the first actions and the last one (how it ended) stay.
        while len(canonical_json(data)) > MAX_EXTENSION_BYTES - 256 and len(actions) > 2:
            del actions[-2]
        return NoteExtension(HELPER_AUDIT, 1, data)
