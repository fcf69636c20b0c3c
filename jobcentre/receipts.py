"""Checking a kiosk receipt (QR text) and looking up the state of its documents.

Shared by the staff page ``/verify`` and ``kiosk-server verify-receipt``. A receipt is
genuine when its certificate was issued by this centre and the kiosk's signature matches.
A receipt dated after its kiosk was revoked is not accepted (a stolen key could make it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from foundation.errors import ForgedReceipt
from jobcentre.repository import Repository
from wire import protocol

GENUINE = "genuine"
FORGED = "forged"
REVOKED = "issued_after_revocation"


@dataclass(frozen=True)
class DocumentState:
    """One document listed on a receipt and whether the centre has it."""

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
    receipt: dict[str, Any] = field(default_factory=dict)
    kiosk_name: str = ""
    kiosk_revoked_at: str | None = None
    documents: list[DocumentState] = field(default_factory=list)
    looked_up: bool = False

    @property
    def genuine(self) -> bool:
        """True only for a genuine receipt."""
        return self.verdict == GENUINE


def check_receipt(
    text: str, centre_signing_public_key: protocol.PublicKeyLike, repo: Repository | None
) -> ReceiptCheck:
    """Verify a receipt's QR text and, with a repository, each document's state."""
    try:
        verified = protocol.decode_and_verify_receipt(text, centre_signing_public_key)
    except ForgedReceipt as exc:
        return ReceiptCheck(verdict=FORGED, reason=str(exc))
    receipt = verified.receipt
    name = str(verified.certificate.get("name", ""))
    if repo is None:
        docs = [_state(d, None) for d in verified.docs]
        return ReceiptCheck(GENUINE, receipt=receipt, kiosk_name=name, documents=docs)
    kiosk = repo.get_kiosk(verified.kiosk_id)
    revoked_at = kiosk.revoked_at if kiosk else None
    if revoked_at and _after(receipt["t"], revoked_at):
        return ReceiptCheck(
            REVOKED, reason="receipt dated after the kiosk was revoked", receipt=receipt,
            kiosk_name=name, kiosk_revoked_at=revoked_at,
        )
    stored = repo.documents_for_receipt(verified.kiosk_id, verified.receipt_number)
    docs = []
    for entry in verified.docs:
        match = next((d for d in stored if d.document_id.startswith(entry["id"])), None)
        docs.append(_state(entry, match))
    return ReceiptCheck(
        GENUINE, receipt=receipt, kiosk_name=name, kiosk_revoked_at=revoked_at,
        documents=docs, looked_up=True,
    )


def _after(receipt_time: str, revoked_at: str) -> bool:
    try:
        return protocol.parse_time(receipt_time) > protocol.parse_time(revoked_at)
    except ValueError:
        return True


def _state(entry: dict[str, Any], stored: Any) -> DocumentState:
    pages = entry.get("p")
    base = DocumentState(
        short_id=str(entry.get("id", "")),
        document_type=str(entry.get("type", "")),
        pages=pages if isinstance(pages, int) else 0,
    )
    if stored is None:
        return base
    matches = stored.page_hash == entry.get("h") and stored.pages == entry.get("p")
    return DocumentState(
        base.short_id, base.document_type, base.pages, stored.received_at, matches
    )


def local_time(text: str) -> str:
    """An ISO time as German local time, e.g. ``01.03.2025, 10:15 Uhr``."""
    try:
        moment = protocol.parse_time(text)
    except ValueError:
        return text
    try:
        moment = moment.astimezone(ZoneInfo("Europe/Berlin"))
    except ZoneInfoNotFoundError:
        return moment.strftime("%d.%m.%Y, %H:%M UTC")
    return moment.strftime("%d.%m.%Y, %H:%M Uhr")


def format_check(check: ReceiptCheck) -> list[str]:
    """Plain-text lines describing a check (for the CLI)."""
    if check.verdict == FORGED:
        return ["FORGED (Gefälscht): " + check.reason]
    r = check.receipt
    head = "GENUINE (Echt)" if check.genuine else "NOT VALID (Ungültig): " + check.reason
    lines = [
        head,
        f"receipt {r.get('rn')} from kiosk {r.get('kiosk')} ({check.kiosk_name}), {r.get('loc')}",
        f"stored at the kiosk: {r.get('t')}",
    ]
    if check.kiosk_revoked_at:
        lines.append(f"note: this kiosk was revoked at {check.kiosk_revoked_at}")
    for doc in check.documents:
        if not check.looked_up:
            state = "state unknown (no database)"
        elif doc.received_at is None:
            state = "not yet received"
        else:
            state = f"received at {doc.received_at}"
            if not doc.matches:
                state += " (DIFFERS from the receipt)"
        lines.append(f"  {doc.short_id} {doc.document_type} {doc.pages} p.: {state}")
    return lines
