"""Checking a kiosk receipt (QR text) against the centre's key and its own records.

Shared by the staff page ``/verify`` and ``kiosk-server verify-receipt``. A receipt is
genuine when its certificate was issued by this centre and the kiosk's signature matches.
Its time ``t`` is only the terminal's own statement (the paper prints before the upload), so
with the database the check also reports when the job centre itself received each listed
document (the document rows' ``received_at``, server clock). A stolen kiosk key can sign any
time, so a receipt of a revoked kiosk counts only if the centre received every listed
document, as listed, before the revocation, both by the server's clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from foundation.errors import ForgedReceipt
from jobcentre.repository import DocumentRecord, Repository
from wire import protocol

GENUINE = "genuine"
FORGED = "forged"
UNREADABLE = "unreadable"
REVOKED = "not_received_before_revocation"


@dataclass(frozen=True)
class DocumentState:
    """One document listed on a receipt and when the centre received it (server clock)."""

    short_id: str
    document_type: str
    pages: int
    received_at: str | None = None
    matches: bool = True


@dataclass(frozen=True)
class ReceiptCheck:
    """The verdict on a receipt and the state of its documents."""

    verdict: str
    reason: str = ""
    code: str = ""
    receipt: dict[str, Any] = field(default_factory=dict)
    kiosk_name: str = ""
    kiosk_revoked_at: str | None = None
    documents: list[DocumentState] = field(default_factory=list)
    looked_up: bool = False

    @property
    def genuine(self) -> bool:
        """True only for a genuine receipt."""
        return self.verdict == GENUINE

    @property
    def received_at(self) -> str | None:
        """When the centre had every listed document (its own clock); None if not all."""
        return received_all_at(self.documents) if self.looked_up else None


def check_receipt(
    text: str, centre_signing_public_key: protocol.PublicKeyLike, repo: Repository | None
) -> ReceiptCheck:
    """Verify a receipt's QR text and, with a repository, each document's state."""
    try:
        verified = protocol.decode_and_verify_receipt(text, centre_signing_public_key)
    except ForgedReceipt as exc:
        verdict = FORGED if exc.code == ForgedReceipt.code else UNREADABLE
        return ReceiptCheck(verdict, reason=str(exc), code=exc.code)
    receipt = verified.receipt
    name = str(verified.certificate.get("name", ""))
    if repo is None:
        docs = [_state(d, None) for d in verified.docs]
        return ReceiptCheck(GENUINE, receipt=receipt, kiosk_name=name, documents=docs)
    kiosk = repo.get_kiosk(verified.kiosk_id)
    revoked_at = kiosk.revoked_at if kiosk else None
    stored = repo.documents_for_receipt(verified.kiosk_id, verified.receipt_number)
    docs = [_state(entry, _stored(stored, entry["id"])) for entry in verified.docs]
    check = ReceiptCheck(
        GENUINE, receipt=receipt, kiosk_name=name, kiosk_revoked_at=revoked_at,
        documents=docs, looked_up=True,
    )
    if revoked_at and not received_before(docs, revoked_at):
        return replace(
            check, verdict=REVOKED,
            reason="the terminal was revoked before the job centre received these documents",
        )
    return check


def _stored(stored: Sequence[DocumentRecord], short_id: str) -> DocumentRecord | None:
    return next(
        (d for d in stored if d.document_id[: protocol.RECEIPT_DOC_ID_LEN] == short_id), None
    )


def received_all_at(docs: Sequence[DocumentState]) -> str | None:
    """The latest server receive time if every document arrived as listed, else None."""
    if not docs or any(d.received_at is None or not d.matches for d in docs):
        return None
    return max(str(d.received_at) for d in docs)  # fixed-width UTC text sorts as time


def received_before(docs: Sequence[DocumentState], revoked_at: str) -> bool:
    """True if the centre received every listed document, as listed, before ``revoked_at``."""
    try:
        last = received_all_at(docs)
        return last is not None and protocol.parse_time(last) < protocol.parse_time(revoked_at)
    except ValueError:
        return False


def _state(entry: dict[str, Any], stored: DocumentRecord | None) -> DocumentState:
    base = DocumentState(
        short_id=str(entry["id"]), document_type=str(entry["type"]), pages=int(entry["p"])
    )
    if stored is None:
        return base
    matches = stored.page_hash == entry["h"] and stored.pages == entry["p"]
    return replace(base, received_at=stored.received_at, matches=matches)


def local_time(text: str, lang: str = "de") -> str:
    """An ISO time as German local time: ``01.03.2025, 10:15 Uhr``.

    ``lang="en"`` writes ``01 Mar 2025, 10:15`` (staff pages in English).
    """
    try:
        moment = protocol.parse_time(text)
    except ValueError:
        return text
    try:
        moment = moment.astimezone(ZoneInfo("Europe/Berlin"))
    except ZoneInfoNotFoundError:
        return moment.strftime("%d.%m.%Y, %H:%M UTC")
    except OverflowError:  # the very edge of datetime's range
        return text
    if lang == "en":
        return f"{moment.day:02d} {_MONTHS_EN[moment.month - 1]} {moment.year}, {moment:%H:%M}"
    return moment.strftime("%d.%m.%Y, %H:%M Uhr")


_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_check(check: ReceiptCheck) -> list[str]:
    """Plain-text lines describing a check (for the CLI)."""
    if check.verdict == FORGED:
        return ["FORGED (Gefälscht): " + check.reason]
    if check.verdict == UNREADABLE:
        return [f"UNREADABLE (Unlesbar): {check.reason} [{check.code}]"]
    r = check.receipt
    head = "GENUINE (Echt)" if check.genuine else "NOT VALID (Ungültig): " + check.reason
    lines = [
        head,
        f"receipt {r.get('rn')} from kiosk {r.get('kiosk')} ({check.kiosk_name}), {r.get('loc')}",
        f"handed in at the terminal at {r.get('t')} (the terminal's own clock)",
    ]
    if not check.looked_up:
        lines.append("offline check: this time is the terminal's own statement; the job "
                     "centre's records were not consulted (give --data to see when the job "
                     "centre received the documents)")
    elif check.received_at is not None:
        lines.append(f"received by the job centre at {check.received_at}")
    else:
        lines.append("not yet fully received by the job centre")
    if check.kiosk_revoked_at:
        lines.append(f"note: this terminal was revoked at {check.kiosk_revoked_at}"
                     + ("; its documents were received before that" if check.genuine else ""))
    for doc in check.documents:
        state = _doc_line(check, doc)
        lines.append(f"  {doc.short_id} {doc.document_type} {doc.pages} p.: {state}")
    return lines


def _doc_line(check: ReceiptCheck, doc: DocumentState) -> str:
    if not check.looked_up:
        return "state unknown (no database)"
    if doc.received_at is None:
        return "not yet received"
    state = f"received by the job centre at {doc.received_at}"
    return state if doc.matches else state + " (DIFFERS from the receipt)"
