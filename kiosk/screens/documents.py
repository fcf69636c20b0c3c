"""Documents screen: the pages of the current document (reorder, retake, delete), its
type (detected, correctable), and the way on: another page, another document, finish.
Changes go through the documents controller (``kiosk.controllers.documents``).
"""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Any

from kivy.graphics.texture import Texture
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from PIL import Image, UnidentifiedImageError

from kiosk.screens.base import KioskScreen
from kiosk.screens.call_base import call_request
from kiosk.screens.messages import DOCUMENT_TYPE_TEXTS, REASON_TEXTS
from kiosk.session.documents import DOCUMENT_TYPES
from kiosk.session.states import Event
from kiosk.widgets import DirectionalBox, KButton

log = logging.getLogger(__name__)

Builder.load_file(str(Path(__file__).with_name("documents.kv")))

#: thumbnails are decoded at 1/8 of the page (libjpeg's DCT scaling): ~310 px wide for an
#: A4 photo, more than the thumbnail box is wide even at 200 % text size
THUMB_REDUCTION = 8


class PageRow(DirectionalBox):
    """One page in the list: thumbnail, number, state, actions."""

    index = NumericProperty(0)
    label = StringProperty("")
    state_icon = StringProperty("")
    can_up = BooleanProperty(True)
    can_down = BooleanProperty(True)


class DocumentsScreen(KioskScreen):
    """Review the current document."""

    choosing_type = BooleanProperty(False)
    doc_type = StringProperty("other")
    confidence = NumericProperty(0)
    document_count = NumericProperty(0)
    identity = BooleanProperty(False)
    keep_copy = BooleanProperty(False)
    checklist_done = NumericProperty(0)  # the letter's checklist, if the visitor scanned one
    checklist_total = NumericProperty(0)
    in_call = BooleanProperty(False)  # the counsellor asked for it during a video call
    asked_for = StringProperty("")  # what the counsellor asked for, as they typed it

    def on_pre_enter(self, *_args: Any) -> None:
        """Refresh from the session (and the background document typing)."""
        self.choosing_type = False
        self.in_call, self.asked_for = call_request(self)
        self.refresh()

    def on_leave(self, *_args: Any) -> None:
        """Thumbnails are page images: they do not outlive the page list on screen."""
        self._thumbs: dict[bytes, Any] = {}
        self.ids.pages.clear_widgets()

    def on_session_change(self, what: str) -> None:
        """Pages changed or language changed: redraw the list."""
        if what in ("pages", "presentation"):
            self.refresh()

    def refresh(self) -> None:
        """Redraw type and page list."""
        doc = self.app.services.documents.suggest_type(self.session)
        if doc is None:
            return
        self.doc_type, self.confidence = doc.document_type, doc.type_confidence
        self.identity = doc.document_type == "identity_document"
        self.keep_copy = doc.keep_identity_copy
        self.document_count = len(self.session.data.documents)
        letter = self.app.services.letter
        checklist = letter.checklist(self.session) if letter is not None else None
        self.checklist_total = len(checklist.items) if checklist is not None else 0
        self.checklist_done = self.checklist_total - len(checklist.missing) if checklist else 0
        if self.choosing_type:
            self._build_type_buttons()
        rows = self.ids.pages
        rows.clear_widgets()
        for index, page in enumerate(doc.pages):
            text = self.app.tr("Page {number}", number=index + 1)
            if page.sent_anyway:
                text += " – " + self.app.tr("sent anyway, marked for the staff")
            elif not page.accepted:
                text += " – " + self.app.tr(REASON_TEXTS.get(page.reasons[0] if page.reasons
                                                             else "capture_failed", ""))
            icon = "\u2714" if page.accepted else "\u26A0"
            row = PageRow(index=index, label=text, state_icon=icon,
                          can_up=index > 0, can_down=index < len(doc.pages) - 1)
            row.ids.thumb.texture = self._thumbnail(page)
            rows.add_widget(row)

    def _thumbnail(self, page: Any) -> Any:
        """The page's thumbnail (decoded at 1/8 size, kept while the list is shown);
        None (an empty box) if the image cannot be shown."""
        thumbs: dict[bytes, Any] = getattr(self, "_thumbs", {})
        self._thumbs = thumbs
        if page.sha256 not in thumbs:
            image = decode_thumbnail(self.session.page_image(page))
            if image is None:
                log.warning("page thumbnail could not be decoded")
                return None
            texture = Texture.create(size=image.size, colorfmt="rgb")
            texture.blit_buffer(image.tobytes(), colorfmt="rgb", bufferfmt="ubyte")
            texture.flip_vertical()
            thumbs[page.sha256] = texture
        return thumbs[page.sha256]

    def type_text(self, doc_type: str, *_deps: Any) -> str:
        """'Payslip' in the visitor's language."""
        return self.app.tr(DOCUMENT_TYPE_TEXTS.get(doc_type, DOCUMENT_TYPE_TEXTS["other"]))

    def on_choosing_type(self, *_args: Any) -> None:
        """The type list is built only when the visitor opens it (saves a redraw per visit)."""
        if self.choosing_type:
            self._build_type_buttons()
        else:
            self.ids.types.clear_widgets()

    def _build_type_buttons(self) -> None:
        grid = self.ids.types
        grid.clear_widgets()
        for doc_type in DOCUMENT_TYPES:
            button = KButton(text=self.type_text(doc_type), action=f"type_{doc_type}",
                             selected=doc_type == self.doc_type)
            button.bind(on_release=lambda _b, t=doc_type: self.choose_type(t))
            grid.add_widget(button)

    def choose_type(self, doc_type: str) -> None:
        """The visitor's correction of the detected type."""
        self.app.services.documents.choose_type(self.session, doc_type)
        self.choosing_type = False
        self.refresh()

    def toggle_keep_copy(self) -> None:
        """Identity documents: keep a copy only if the visitor confirms."""
        self.keep_copy = self.app.services.documents.toggle_keep_copy(self.session)

    def move(self, index: int, delta: int) -> None:
        """Move a page up or down."""
        self.app.services.documents.move_page(self.session, index, delta)
        self.refresh()

    def retake(self, index: int) -> None:
        """Photograph page ``index`` again."""
        self.app.services.documents.retake(self.session, index)

    def delete(self, index: int) -> None:
        """Delete page ``index``."""
        self.app.services.documents.delete_page(self.session, index)

    def add_page(self) -> None:
        """Another page of this document."""
        self.session.dispatch(Event.ADD_PAGE)

    def new_document(self) -> None:
        """Start the next document."""
        self.app.services.documents.new_document(self.session)

    def finish(self) -> None:
        """Go to the summary (identity documents without consent are left out there); in a
        video call, show the page to the counsellor and go back to the call instead."""
        call = getattr(self.app.services, "call", None)
        if self.in_call and call is not None:
            call.show_captured_page()
            return
        if self.session.ready_documents():
            self.session.dispatch(Event.FINISH)

    def show_checklist(self) -> None:
        """What the letter asks for, and what is ticked."""
        self.session.dispatch(Event.SHOW_CHECKLIST)

    def go_back(self) -> None:
        """Back to the capture of this document."""
        self.session.dispatch(Event.ADD_PAGE)

    def extra_spoken_text(self) -> list[str]:
        """Type and pages."""
        doc = self.session.current_document
        pages = len(doc.pages) if doc is not None else 0
        return [self.type_text(self.doc_type),
                self.app.tr_plain("{count} pages", count=pages)]


def decode_thumbnail(jpeg: bytes) -> Image.Image | None:
    """A stored page (JPEG) decoded at 1/``THUMB_REDUCTION`` size as RGB; None if it is not
    a readable JPEG. Pillow decodes it at that scale directly (no full-size image), and
    only its JPEG reader is used: the UI process does not page in OpenCV's image codecs."""
    try:
        with Image.open(io.BytesIO(jpeg), formats=("JPEG",)) as image:
            width, height = image.size
            image.draft("RGB", (width // THUMB_REDUCTION, height // THUMB_REDUCTION))
            return image.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError):
        return None
