"""Checklist screen: what the visitor's letter asks for, ticked off as documents come.

Each item shows its type in the visitor's words and the letter's own German wording. A
document whose recognised type matches ticks the item; the visitor may tick or untick by
hand (recognition can be wrong) and chooses whether the letter itself is handed in as a
page. Ticking and the letter page are the letter controller's (``kiosk.controllers.letter``);
this screen shows them and forwards the taps.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, StringProperty

from accessibility.bidi_text import prepare_for_label
from accessibility.dates import format_date
from kiosk.screens.base import KioskScreen
from kiosk.screens.messages import DOCUMENT_TYPE_TEXTS
from kiosk.widgets import KButton

Builder.load_file(str(Path(__file__).with_name("checklist.kv")))

REFRESH_S = 1.0  # document types arrive from the background OCR


class ChecklistScreen(KioskScreen):
    """What your letter asks for."""

    done = NumericProperty(0)
    total = NumericProperty(0)
    deadline = StringProperty("")
    hand_in_letter = BooleanProperty(False)
    has_letter_page = BooleanProperty(False)
    can_finish = BooleanProperty(False)
    _shown: Any = None
    _event: Any = None

    def on_pre_enter(self, *_args: Any) -> None:
        """Draw the list; keep it in step with the background document typing."""
        self._shown = None
        self.refresh()
        self._event = Clock.schedule_interval(lambda _dt: self.refresh(), REFRESH_S)

    def on_leave(self, *_args: Any) -> None:
        """Stop refreshing; the letter's wording does not stay on screen."""
        if self._event is not None:
            self._event.cancel()
            self._event = None
        self._shown = None
        self.ids.item_rows.clear_widgets()

    def on_session_change(self, what: str) -> None:
        """Language or text size changed: redraw the rows."""
        if what == "presentation":
            self._shown = None
            self.refresh()

    def refresh(self) -> None:
        """Redraw from the letter controller's checklist (only when something changed)."""
        if App.get_running_app() is None:  # the app stopped while this screen was shown
            return
        letter = self.app.services.letter
        state = letter.letter(self.session) if letter is not None else None
        if letter is None or state is None:
            return
        checklist = letter.checklist(self.session)
        self.total = len(checklist.items)
        self.done = self.total - len(checklist.missing)
        self.hand_in_letter = state.hand_in_letter
        self.has_letter_page = state.page_ref is not None
        self.can_finish = bool(self.session.ready_documents())
        self.deadline = format_date(state.deadline, self.app.lang) if state.deadline else ""
        shown = (checklist, self.app.lang, self.app.dual, self.app.fs_body)
        if shown == self._shown:
            return
        self._shown = shown
        grid = self.ids.item_rows
        grid.clear_widgets()
        for index, item in enumerate(checklist.items):
            button = KButton(text=self.item_text(item), action=f"item_{index}",
                             icon="\u2611" if item.ticked else "\u2610",
                             selected=item.ticked)
            button.bind(on_release=lambda _b, i=index: self.toggle(i))
            grid.add_widget(button)

    def item_text(self, item: Any) -> str:
        """Type in the visitor's words, the letter's German wording, and who ticked it."""
        tr = self.app.tr
        wording = " ".join(item.text.split())
        lines = [] if self.app.lang.startswith("de") else [self.type_text(item.document_type)]
        lines.append(prepare_for_label(wording, "de") if wording else
                     self.type_text(item.document_type))
        if item.ticked_by == "manual":
            lines.append(tr("ticked by you"))
        elif item.ticked:
            lines.append(tr("found in your documents"))
        return "\n".join(lines)

    def type_text(self, doc_type: str) -> str:
        """'Bank statement' in the visitor's language."""
        return self.app.tr(DOCUMENT_TYPE_TEXTS.get(doc_type, DOCUMENT_TYPE_TEXTS["other"]))

    def toggle(self, index: int) -> None:
        """Tick or untick an item by hand."""
        letter = self.app.services.letter
        if letter is not None:
            letter.toggle(self.session, index)
            self.refresh()

    def toggle_letter(self) -> None:
        """Hand in the letter itself as a page, or not."""
        letter = self.app.services.letter
        if letter is not None:
            letter.toggle_hand_in_letter(self.session)
            self.refresh()

    def new_document(self) -> None:
        """Photograph the next document."""
        letter = self.app.services.letter
        if letter is not None:
            letter.new_document(self.session)

    def finish(self) -> None:
        """Check and hand in what there is."""
        letter = self.app.services.letter
        if letter is not None:
            letter.finish(self.session)

    def extra_spoken_text(self) -> list[str]:
        """Progress, deadline, each item in the visitor's words with its state."""
        tr = self.app.tr_plain
        parts = [tr("{done} of {total} ticked", done=self.done, total=self.total)]
        if self.deadline:
            parts.append(tr("Please hand in by {date}.", date=self.deadline))
        letter = self.app.services.letter
        if letter is not None and letter.letter(self.session) is not None:
            for item in letter.checklist(self.session).items:
                label = tr(DOCUMENT_TYPE_TEXTS.get(item.document_type,
                                                   DOCUMENT_TYPE_TEXTS["other"]))
                parts.append(label + ": " + (tr("ticked") if item.ticked else tr("open")))
        return parts
