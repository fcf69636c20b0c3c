"""Test helpers for delivery: our-own-making PDFs, a locally certified identity, configs."""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from config.model import KioskConfig
from kiosk.delivery import identity as ident
from kiosk.delivery.models import PreparedDocument
from wire import protocol

CUSTOMER = "123A456789"


def make_pdf(
    pages: int = 1, payload_bytes: int = 2000, producer: str = "jobcenter-kiosk test"
) -> bytes:
    """A small PDF with ``pages`` pages, unique random content and the given Producer."""
    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page(page_size=(595, 842))
    blob = pikepdf.Stream(pdf, os.urandom(payload_bytes))
    pdf.Root.TestPayload = pdf.make_indirect(blob)
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta["pdf:Producer"] = producer
    pdf.docinfo["/Producer"] = producer
    out = io.BytesIO()
    pdf.save(out)
    pdf.close()
    return out.getvalue()


def make_document(
    pages: int = 1, payload_bytes: int = 2000, doc_type: str = "payslip"
) -> PreparedDocument:
    """A PreparedDocument with a fresh PDF and fake page-image digests."""
    pdf = make_pdf(pages, payload_bytes)
    digests = tuple(hashlib.sha256(pdf + bytes([i])).digest() for i in range(pages))
    return PreparedDocument(doc_type, pdf, pages, digests)


@dataclass
class LocalCentre:
    """Centre keys held by a test (instead of a running server)."""

    signing: Ed25519PrivateKey
    encryption: X25519PrivateKey


def enroll_locally(data_dir: Path, kiosk_id: str = "kiosk-test-01") -> LocalCentre:
    """Write an identity certified by a fresh local centre (no server involved)."""
    centre = LocalCentre(protocol.generate_signing_key(), protocol.generate_encryption_key())
    key = ident.load_or_create_key(data_dir)
    cert = protocol.sign_certificate(kiosk_id, "Test kiosk", key, centre.signing)
    folder = ident.identity_dir(data_dir)
    ident.write_atomic(folder / ident.CERT_FILE, protocol.canonical_json(cert))
    centre_doc = {
        "signing_public_key": protocol.public_key_b64u(centre.signing),
        "encryption_public_key": protocol.public_key_b64u(centre.encryption),
    }
    ident.write_atomic(folder / ident.CENTRE_FILE, protocol.canonical_json(centre_doc))
    ident.write_atomic(folder / ident.SERVER_FILE, protocol.canonical_json({"url": "http://127.0.0.1:9"}))
    return centre


def config_for(data_dir: Path) -> KioskConfig:
    """The default config with ``data_dir`` set."""
    return KioskConfig(data_dir=data_dir)
