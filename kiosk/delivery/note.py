"""Write transfer-note extensions into a prepared document's PDF before it is sealed.

The extensions already in the PDF's note (from ``build_document_pdf``), the document's own
(``PreparedDocument.note_extensions``) and the submission's (``submit(note_extensions=...)``)
are joined in that order and checked as one list (``wire.transfer_note``: limits, one entry
per kind and version). Only the PDF's XMP packet changes, so the page digests -- and with
them the receipt's signed payload -- stay the same. A document without any extension is
returned as it is, byte for byte.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence

from foundation.errors import InvalidNoteExtension, SessionError
from kiosk.delivery.models import PreparedDocument
from wire.transfer_note import (
    NoteExtension,
    check_list,
    extensions_from_note,
    extensions_json,
)

log = logging.getLogger(__name__)


def with_note_extensions(
    document: PreparedDocument, extensions: Sequence[NoteExtension] = ()
) -> PreparedDocument:
    """The document with its own and ``extensions`` written into its transfer note."""
    added = [*document.note_extensions, *extensions]
    if not added:
        return document
    if not all(isinstance(e, NoteExtension) for e in added):
        raise SessionError("note extensions must be NoteExtension objects",
                           code="invalid_note_extension")
    import pikepdf  # with the PDF code, only when a note is written: not at kiosk start

    from scanning.pdf import read_transfer_note, write_note_extensions

    try:
        present = extensions_from_note(read_transfer_note(document.pdf))
        joined = check_list([*present, *added])
        pdf = write_note_extensions(document.pdf, extensions_json(joined))
    except InvalidNoteExtension as exc:
        log.warning("transfer-note extensions refused: %s", exc.reason)
        raise SessionError(f"transfer-note extensions refused: {exc.reason}",
                           code="invalid_note_extension") from exc
    except (pikepdf.PdfError, ValueError, TypeError) as exc:
        raise SessionError("the PDF's transfer note cannot be read",
                           code="unreadable_file") from exc
    try:
        return dataclasses.replace(document, pdf=pdf, note_extensions=())
    except ValueError as exc:  # the PDF grew past the size limit
        raise SessionError("a document is too large with its note", code="file_too_large") from exc
