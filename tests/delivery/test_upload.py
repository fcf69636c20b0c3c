"""Upload against the real intake service: delivery, resume, retries, faults through a proxy."""

from __future__ import annotations

from pathlib import Path

import pytest

from foundation.errors import EnrollmentError
from kiosk.delivery.clock import ClockGuard
from kiosk.delivery.identity import load_identity
from kiosk.delivery.models import QueuedSubmission
from kiosk.delivery.service import DeliveryService
from kiosk.delivery.transport import ServerClient
from kiosk.delivery.uploader import Backoff, Uploader
from tests.delivery.conftest import Promise, assert_promises_kept, enroll_kiosk, server_documents
from tests.delivery.helpers import CUSTOMER, config_for, make_document
from tests.delivery.netfaults import FaultProxy, ServerProcess


def _uploader(service: DeliveryService, chunk: int = 4 * 1024 * 1024) -> Uploader:
    identity = load_identity(service.data_dir)
    assert identity is not None
    client = ServerClient(identity, ClockGuard(service.outbox), timeout_s=5.0)
    return Uploader(service.outbox, client, chunk_bytes=chunk)


def _promise(sub: QueuedSubmission) -> Promise:
    return Promise(sub.receipt_number, [(d.document_id, d.sha256) for d in sub.documents])


def test_enroll_stores_identity(server: ServerProcess, tmp_path: Path) -> None:
    data = tmp_path / "kiosk"
    kiosk_id = enroll_kiosk(server, data)
    identity = load_identity(data)
    assert identity is not None and identity.kiosk_id == kiosk_id
    key_file = data / "identity" / "kiosk.key"
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_enroll_with_wrong_code_fails(server: ServerProcess, tmp_path: Path) -> None:
    from kiosk.delivery.identity import enroll

    with pytest.raises(EnrollmentError):
        enroll(server.url, "AAAA-BBBB-CCCC-DDDD-EEEE", tmp_path / "kiosk")
    assert load_identity(tmp_path / "kiosk") is None


def test_submit_upload_ack_deletes_sealed_copy(server: ServerProcess, tmp_path: Path) -> None:
    data = tmp_path / "kiosk"
    enroll_kiosk(server, data)
    with DeliveryService(config_for(data), data) as svc:
        sub = svc.submit(CUSTOMER, [make_document(2), make_document(1)], poke_agent=False)
        uploader = _uploader(svc)
        try:
            result = uploader.sync()
        finally:
            uploader.client.close()
        assert result.delivered == 2 and result.error is None
        fresh = svc.refresh(sub)
        assert [d.state for d in fresh.documents] == ["delivered", "delivered"]
        assert list((data / "outbox" / "sealed").iterdir()) == []
        assert ClockGuard(svc.outbox).offset() is not None
    assert_promises_kept(server.data_dir, [_promise(sub)])


def test_resume_after_cut_mid_upload(server: ServerProcess, tmp_path: Path) -> None:
    data = tmp_path / "kiosk"
    proxy = FaultProxy(server.port)
    try:
        enroll_kiosk(server, data, url=proxy.url)
        with DeliveryService(config_for(data), data) as svc:
            sub = svc.submit(CUSTOMER, [make_document(1, payload_bytes=300_000)], poke_agent=False)
            size = svc.outbox.pending()[0].sealed_size
            uploader = _uploader(svc, chunk=64 * 1024)
            try:
                proxy.cut_next_body_after = 10  # the metadata POST is cut: nothing announced
                first = uploader.sync()
                assert first.error == "backend_unavailable" and first.delivered == 0
                proxy.cut_patch_number = 3  # two chunks arrive, the third is cut in half
                second = uploader.sync()
                assert second.error == "backend_unavailable"
                third = uploader.sync()
            finally:
                uploader.client.close()
            assert third.delivered == 1
            assert svc.refresh(sub).all_delivered
    finally:
        proxy.close()
    assert proxy.cuts == 2
    patches = [r for r in proxy.requests if r.startswith("PATCH")]
    # Larger than a chunk: announced alone, then resumed at the server's offset, so only
    # the cut chunk was sent twice (and no chunk went out just to learn the offset).
    assert len(patches) == -(-size // (64 * 1024)) + 1
    assert_promises_kept(server.data_dir, [_promise(sub)])


def test_server_500_then_recovers(server: ServerProcess, tmp_path: Path) -> None:
    data = tmp_path / "kiosk"
    proxy = FaultProxy(server.port)
    try:
        enroll_kiosk(server, data, url=proxy.url)
        with DeliveryService(config_for(data), data) as svc:
            sub = svc.submit(CUSTOMER, [make_document(), make_document()], poke_agent=False)
            uploader = _uploader(svc)
            try:
                proxy.fail_next = 3
                outcomes = [uploader.sync() for _ in range(4)]
            finally:
                uploader.client.close()
            assert outcomes[0].error == "http_500"
            assert sum(o.delivered for o in outcomes) == 2
            explained = svc.outbox.explain()
            assert explained == []
    finally:
        proxy.close()
    assert_promises_kept(server.data_dir, [_promise(sub)])


def test_storing_request_answered_503_keeps_the_document_and_retries(
        server: ServerProcess, tmp_path: Path) -> None:
    data = tmp_path / "kiosk"
    proxy = FaultProxy(server.port)
    try:
        enroll_kiosk(server, data, url=proxy.url)
        with DeliveryService(config_for(data), data) as svc:
            sub = svc.submit(CUSTOMER, [make_document()], poke_agent=False)
            sealed = svc.outbox.pending()[0].sealed_path
            uploader = _uploader(svc)
            try:
                proxy.fail_status, proxy.fail_body = 503, b'{"error":"database_unavailable"}'
                proxy.fail_only = lambda line: line.startswith("POST /api/v1/uploads")
                proxy.fail_next = 1
                first = uploader.sync()
                assert (first.error, first.delivered, first.remaining) == ("http_503", 0, 1)
                assert sealed.exists()
                assert [p.document_id for p in svc.outbox.pending()] == [
                    d.document_id for d in sub.documents]
                second = uploader.sync()
            finally:
                uploader.client.close()
            assert (second.error, second.delivered) == (None, 1)
            assert not sealed.exists()
            assert svc.outbox.pending() == []
    finally:
        proxy.close()
    # one request per document (announcement and document), sent twice; the ack came
    # with it: no PATCH, no finish
    assert len([r for r in proxy.requests if r.startswith("POST /api/v1/uploads")]) == 2
    assert not any(r.startswith("PATCH") or r.endswith("/finish") for r in proxy.requests)
    assert_promises_kept(server.data_dir, [_promise(sub)])


def test_line_down_then_everything_arrives(server: ServerProcess, tmp_path: Path) -> None:
    data = tmp_path / "kiosk"
    proxy = FaultProxy(server.port)
    promises = []
    try:
        enroll_kiosk(server, data, url=proxy.url)
        proxy.set_down(True)
        with DeliveryService(config_for(data), data) as svc:
            for _ in range(3):
                promises.append(_promise(svc.submit(CUSTOMER, [make_document()], poke_agent=False)))
            uploader = _uploader(svc)
            try:
                down = uploader.sync()
                assert down.error == "backend_unavailable" and down.remaining == 3
                reasons = {row["last_error"] for row in svc.outbox.explain()}
                assert reasons == {"backend_unavailable", None}
                proxy.set_down(False)
                up = uploader.sync()
            finally:
                uploader.client.close()
            assert up.delivered == 3
    finally:
        proxy.close()
    assert_promises_kept(server.data_dir, promises)


def test_server_restart_between_chunks(server: ServerProcess, tmp_path: Path) -> None:
    data = tmp_path / "kiosk"
    proxy = FaultProxy(server.port)

    def restart_at_third_chunk(line: str, patches: int) -> None:
        if line.startswith("PATCH") and patches == 3 and not restarted:
            restarted.append(True)
            server.stop(kill=True)
            server.start()
            proxy.drop_connections()

    restarted: list[bool] = []
    try:
        enroll_kiosk(server, data, url=proxy.url)
        proxy.before_forward = restart_at_third_chunk
        with DeliveryService(config_for(data), data) as svc:
            sub = svc.submit(CUSTOMER, [make_document(1, payload_bytes=200_000)], poke_agent=False)
            uploader = _uploader(svc, chunk=50_000)
            try:
                results = [uploader.sync() for _ in range(3)]
            finally:
                uploader.client.close()
            assert restarted and sum(r.delivered for r in results) == 1, results
    finally:
        proxy.close()
    assert_promises_kept(server.data_dir, [_promise(sub)])


def test_upload_is_idempotent_when_ack_was_lost(server: ServerProcess, tmp_path: Path) -> None:
    data = tmp_path / "kiosk"
    enroll_kiosk(server, data)
    with DeliveryService(config_for(data), data) as svc:
        sub = svc.submit(CUSTOMER, [make_document()], poke_agent=False)
        item = svc.outbox.pending()[0]
        sealed = item.sealed_path.read_bytes()
        uploader = _uploader(svc)
        try:
            # Deliver, then pretend the ack never reached the outbox (crash before recording).
            assert uploader.upload(item) == "delivered"
            svc.outbox.set_state(item.document_id, "stored")
            item.sealed_path.write_bytes(sealed)
            assert uploader.sync().delivered == 1
        finally:
            uploader.client.close()
    assert len(server_documents(server.data_dir)) == 1
    assert_promises_kept(server.data_dir, [_promise(sub)])


def test_backoff_is_capped_and_jittered() -> None:
    import random

    backoff = Backoff(base_s=1.0, cap_s=60.0, rng=random.Random(4))
    delays = [backoff.next_delay() for _ in range(12)]
    assert all(0.5 <= d <= 1.0 for d in delays[:1])
    assert all(d <= 60.0 for d in delays) and max(delays) >= 30.0
    assert len(set(delays)) == len(delays)
    backoff.reset()
    assert backoff.next_delay() <= 1.0


def test_kiosk_learns_server_time_after_clock_skew(server: ServerProcess, tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    data = tmp_path / "kiosk"
    enroll_kiosk(server, data)
    with DeliveryService(config_for(data), data) as svc:
        sub = svc.submit(CUSTOMER, [make_document()], poke_agent=False)
        guard = ClockGuard(svc.outbox)
        guard.learn(datetime.now(UTC) + timedelta(minutes=30))  # a wrong belief about the server
        uploader = _uploader(svc)
        try:
            first = uploader.sync()
            assert first.error == "clock_skew"
            assert abs(guard.offset() or 99) < 5  # learned from the 401 answer
            assert uploader.sync().delivered == 1
        finally:
            uploader.client.close()
        assert svc.refresh(sub).all_delivered
