"""What a well-formed kiosk receipt looks like, checked once its signature verified.

Part of the wire contract (imported through ``wire.protocol``). A receipt that breaks these
rules raises ``ForgedReceipt``; the defects staff should be told about by name (a time with
no UTC equivalent, JSON nested too deeply) carry their own ``code``.
"""

from __future__ import annotations

import re
from typing import Any

from foundation.errors import ForgedReceipt
from wire.codec import parse_time

#: a receipt names each document by the first characters of its (lower-case UUID) id
RECEIPT_DOC_ID_LEN = 8
_DOC_ID = re.compile(rf"^[0-9a-f]{{{RECEIPT_DOC_ID_LEN}}}$")

ERROR_JSON_TOO_DEEP = "json_too_deep"
ERROR_RECEIPT_TIME = "receipt_time_invalid"


def unreadable(message: str, code: str) -> ForgedReceipt:
    """A receipt refused for a defect with its own ``code`` (not a changed byte)."""
    exc = ForgedReceipt(message)
    exc.code = code
    return exc


def check_receipt_shape(receipt: dict[str, Any]) -> None:
    """Raise ``ForgedReceipt`` unless the receipt has every field in its proper form."""
    for field in ("rn", "loc", "t", "cn"):
        if not isinstance(receipt.get(field), str):
            raise ForgedReceipt(f"receipt field {field} missing")
    try:
        parse_time(receipt["t"])
    except ValueError as exc:
        raise unreadable("receipt time is not a usable time", ERROR_RECEIPT_TIME) from exc
    docs = receipt.get("docs")
    if not isinstance(docs, list) or not all(_doc_entry_ok(d) for d in docs):
        raise ForgedReceipt("receipt documents malformed")
    if len({d["id"] for d in docs}) != len(docs):
        raise ForgedReceipt("receipt lists a document twice")


def _doc_entry_ok(entry: Any) -> bool:
    """A document entry names a full-length id prefix (an empty one would match anything)."""
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
        return False
    pages = entry.get("p")
    return (
        bool(_DOC_ID.match(entry["id"]))
        and isinstance(entry.get("type"), str)
        and isinstance(entry.get("h"), str)
        and isinstance(pages, int) and not isinstance(pages, bool) and pages > 0
    )
