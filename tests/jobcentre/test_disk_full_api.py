"""A full disk on the job-centre side answers 503 ``storage_full`` with ``Retry-After``.

On a real size-limited tmpfs (skipped where mounting one is not permitted): a chunk that
does not fit, and a database write that does not fit, are 503 with a retry time, never a
500; once space is back the same upload completes.
"""

from __future__ import annotations

from pathlib import Path

from tests.delivery.helpers import make_pdf as make_payload_pdf
from tests.delivery.test_disk_full import fill, tmpfs
from tests.jobcentre.helpers import Document, Kiosk, ServerProcess


def test_full_disk_is_503_storage_full(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "srv", "4m") as data:
        server = ServerProcess(data, None).start()
        kiosk = Kiosk(server)
        try:
            doc = Document(kiosk, make_payload_pdf(1, payload_bytes=600_000), 1)
            assert kiosk.call("POST", "/api/v1/uploads", doc.announcement()).status_code == 201
            fill(data, leave_bytes=150_000)  # room for the nonce, not the chunk
            chunk = kiosk.call("PATCH", doc.path, doc.sealed, headers={"Upload-Offset": "0"})
            assert chunk.status_code == 503, chunk.text
            assert chunk.json()["error"] == "storage_full"
            assert int(chunk.headers["Retry-After"]) > 0
            (data / "filler.bin").rename(data / "filler-1.bin")
            filler_2 = fill(data, leave_bytes=0)
            other = Document(kiosk, make_payload_pdf(1, payload_bytes=1000), 1)
            announce = kiosk.call("POST", "/api/v1/uploads", other.announcement())
            assert announce.status_code == 503, announce.text
            assert announce.json()["error"] in ("storage_full", "database_unavailable")
            assert "Retry-After" in announce.headers
            (data / "filler-1.bin").unlink()
            filler_2.unlink()
            offset = kiosk.call("GET", doc.path).json()["offset"]
            rest = kiosk.call("PATCH", doc.path, doc.sealed[offset:],
                              headers={"Upload-Offset": str(offset)})
            assert rest.status_code == 200, rest.text
            assert kiosk.call("POST", doc.path + "/finish").status_code == 200
        finally:
            kiosk.close()
            server.stop()


def test_full_disk_in_a_one_request_upload_is_503_and_keeps_nothing(tmp_path: Path) -> None:
    """The group writer's error reaches the kiosk as 503; no file or row is left of it."""
    from tests.jobcentre.test_one_request_upload import _known, _post

    with tmpfs(tmp_path / "srv", "4m") as data:
        server = ServerProcess(data, None).start()
        kiosk = Kiosk(server)
        try:
            _known(kiosk)
            doc = Document(kiosk, make_payload_pdf(1, payload_bytes=600_000), 1)
            filler = fill(data, leave_bytes=150_000)  # room for the nonce, not the document
            full = _post(kiosk, doc)
            assert full.status_code == 503, full.text
            assert full.json()["error"] == "storage_full"
            assert int(full.headers["Retry-After"]) > 0
            assert not list((data / "documents").rglob(f"{doc.document_id}.*"))
            assert kiosk.call("GET", doc.path).status_code == 404  # no upload row either
            filler.unlink()
            stored = _post(kiosk, doc)
            assert stored.status_code == 201, stored.text
            assert stored.json()["complete"]
        finally:
            kiosk.close()
            server.stop()
