"""The visitor's documents while they are being captured: pages, order, type, verdicts.

Images themselves live encrypted in the session scratch; these records hold references,
hashes and the verdict of each page. A page rejected twice may be sent anyway; it is
then flagged and its reasons go into the transfer note.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field, replace

from foundation.errors import SessionError
from scanning.doctype import DOCUMENT_TYPES as KNOWN_TYPES

# The types a visitor picks from on the documents screen: every type recognition and the
# letter reader know (``scanning.doctype``), so a correction can tick a letter's item.
DOCUMENT_TYPES: tuple[str, ...] = KNOWN_TYPES
MAX_PAGES_PER_DOCUMENT = 50
REJECTIONS_BEFORE_OVERRIDE = 2


@dataclass(frozen=True)
class PageRecord:
    """One captured page: where its image is, its hash and its verdict."""

    image_ref: str
    sha256: bytes
    accepted: bool
    reasons: tuple[str, ...] = ()
    rejections: int = 0
    sent_anyway: bool = False
    width: int = 0
    height: int = 0

    @property
    def usable(self) -> bool:
        """Accepted, or rejected often enough and explicitly sent anyway."""
        return self.accepted or self.sent_anyway


@dataclass
class DocumentDraft:
    """A document being assembled from pages."""

    pages: list[PageRecord] = field(default_factory=list)
    document_type: str = "other"
    type_confidence: float = 0.0
    type_confirmed: bool = False
    keep_identity_copy: bool = False
    #: names the document in the letter's checklist (which item it ticked); never leaves the kiosk
    document_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    def add(self, page: PageRecord) -> int:
        """Append a page; return its index."""
        if len(self.pages) >= MAX_PAGES_PER_DOCUMENT:
            raise SessionError("too many pages in one document", code="too_many_pages")
        self.pages.append(page)
        return len(self.pages) - 1

    def replace(self, index: int, page: PageRecord) -> PageRecord:
        """Retake page ``index``; carries the rejection count over. Returns the old page."""
        old = self._get(index)
        rejections = old.rejections + (0 if page.accepted else 1)
        self.pages[index] = replace(page, rejections=rejections)
        return old

    def send_anyway(self, index: int) -> None:
        """Accept a page that was rejected at least twice, flagged with its reasons."""
        page = self._get(index)
        if page.accepted:
            return
        if page.rejections < REJECTIONS_BEFORE_OVERRIDE:
            raise SessionError("page may be sent anyway only after two tries",
                               code="override_not_allowed")
        self.pages[index] = replace(page, sent_anyway=True)

    def move(self, index: int, new_index: int) -> None:
        """Reorder: move page ``index`` to ``new_index``."""
        page = self._get(index)
        if not 0 <= new_index < len(self.pages):
            raise SessionError("no such page position", code="no_such_page")
        del self.pages[index]
        self.pages.insert(new_index, page)

    def remove(self, index: int) -> PageRecord:
        """Delete a page; returns it so its image can be dropped from the scratch."""
        page = self._get(index)
        del self.pages[index]
        return page

    def set_type(self, document_type: str, *, confirmed: bool = True) -> None:
        """Set the document type (the visitor's correction wins over detection)."""
        if document_type not in KNOWN_TYPES:
            raise SessionError(f"unknown document type {document_type!r}")
        self.document_type = document_type
        self.type_confirmed = confirmed

    @property
    def ready(self) -> bool:
        """True when the document has pages and all of them are usable."""
        return bool(self.pages) and all(p.usable for p in self.pages)

    def page_hash(self) -> str:
        """Short hash over the page images (receipt), per the delivery contract."""
        return hashlib.sha256(b"".join(p.sha256 for p in self.pages)).hexdigest()[:16]

    def _get(self, index: int) -> PageRecord:
        if not 0 <= index < len(self.pages):
            raise SessionError("no such page", code="no_such_page")
        return self.pages[index]
