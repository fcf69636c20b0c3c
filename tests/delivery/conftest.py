"""Fixtures: the real intake service in a subprocess, and a kiosk enrolled to it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from jobcentre.enrollment import issue_code
from jobcentre.repository import DocumentRecord, open_repository
from kiosk.delivery.identity import enroll
from tests.delivery.netfaults import ServerProcess


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A running intake service with its own data directory."""
    proc = ServerProcess(tmp_path / "server")
    (tmp_path / "server").mkdir()
    proc.start()
    yield proc
    proc.stop()


def enroll_kiosk(server: ServerProcess, data_dir: Path, url: str | None = None) -> str:
    """Enroll a kiosk data dir to ``server`` (optionally via another URL, e.g. a proxy)."""
    code = issue_code(server.data_dir, f"kiosk-{data_dir.name}")
    result = enroll(url or server.url, code, data_dir)
    return result.identity.kiosk_id


def server_documents(server_dir: Path, database: str | None = None) -> list[DocumentRecord]:
    """Every document the service stored (read from its real database)."""
    repo = open_repository(server_dir, database)
    try:
        return repo.list_documents()
    finally:
        repo.close()


@dataclass
class Promise:
    """What a receipt promised: documents (id, plaintext sha256)."""

    receipt_number: str
    documents: list[tuple[str, str]]


def assert_promises_kept(server_dir: Path, promises: list[Promise],
                         database: str | None = None) -> int:
    """Every promised document is on the server once, with the same sha256; no duplicates.

    Returns how many documents the server holds."""
    docs = server_documents(server_dir, database)
    by_id = {d.document_id: d for d in docs}
    assert len(by_id) == len(docs), "a document id was stored twice"
    shas = [d.sha256 for d in docs]
    assert len(set(shas)) == len(shas), "the same content was stored under two ids"
    for promise in promises:
        for doc_id, sha in promise.documents:
            assert doc_id in by_id, f"promised document of {promise.receipt_number} missing"
            assert by_id[doc_id].sha256 == sha
            assert by_id[doc_id].receipt_number == promise.receipt_number
    return len(docs)
