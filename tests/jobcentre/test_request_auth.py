"""Request signatures v2 (``wire.request_auth``): every meaningful header is covered."""

from __future__ import annotations

import dataclasses

import pytest

from wire import protocol as p


def _parsed(headers: dict[str, str]) -> p.RequestAuth:
    auth = p.parse_request_auth({k.lower(): v for k, v in headers.items()})
    assert isinstance(auth, p.RequestAuth), auth
    return auth


def test_signature_verifies_as_sent() -> None:
    kiosk = p.generate_signing_key()
    headers = p.sign_request(kiosk, "k-1", "patch", "/api/v1/uploads/x?a=1", b"chunk",
                             timestamp=1000, upload_offset=4096)
    assert headers["Content-Length"] == "5"
    assert headers[p.HEADER_UPLOAD_OFFSET] == "4096"
    assert headers[p.HEADER_KIOSK_SIGNATURE].startswith("v2.")
    assert p.verify_request(kiosk.public_key(), "PATCH", "/api/v1/uploads/x?a=1", _parsed(headers))


@pytest.mark.parametrize("change", [
    {"method": "POST"}, {"target": "/api/v1/uploads/x?a=2"}, {"target": "/api/v1/uploads/x"},
    {"kiosk_id": "k-2"}, {"timestamp": "1001"}, {"nonce": "A" * 22}, {"content_length": 6},
    {"digest": p.content_digest(b"other")}, {"upload_offset": "0"}, {"upload_offset": ""},
    {"upload_announcement": "e30"},
])
def test_every_covered_field_breaks_the_signature(change: dict[str, object]) -> None:
    kiosk = p.generate_signing_key()
    headers = p.sign_request(kiosk, "k-1", "PATCH", "/api/v1/uploads/x?a=1", b"chunk",
                             timestamp=1000, upload_offset=4096)
    auth = _parsed(headers)
    method = str(change.pop("method", "PATCH"))
    target = str(change.pop("target", "/api/v1/uploads/x?a=1"))
    altered = dataclasses.replace(auth, **change)  # type: ignore[arg-type]
    assert not p.verify_request(kiosk.public_key(), method, target, altered)


def test_nonces_are_fresh_and_signatures_differ() -> None:
    kiosk = p.generate_signing_key()
    one = p.sign_request(kiosk, "k-1", "GET", "/x", timestamp=1000)
    two = p.sign_request(kiosk, "k-1", "GET", "/x", timestamp=1000)
    assert one[p.HEADER_KIOSK_NONCE] != two[p.HEADER_KIOSK_NONCE]
    assert one[p.HEADER_KIOSK_SIGNATURE] != two[p.HEADER_KIOSK_SIGNATURE]


def test_old_and_malformed_headers_get_codes() -> None:
    old = {"x-kiosk-id": "k-1", "x-kiosk-time": "1000", "x-kiosk-signature": "abc"}
    assert p.parse_request_auth(old) == "signature_outdated"
    assert p.parse_request_auth({}) == "unknown_kiosk"
    headers = {k.lower(): v for k, v in p.sign_request(
        p.generate_signing_key(), "k-1", "GET", "/x").items()}
    for key, value in [("x-kiosk-time", "1e3"), ("content-length", "-1"),
                       ("x-kiosk-nonce", "short"), ("upload-offset", "01")]:
        assert p.parse_request_auth({**headers, key: value}) == "bad_signature", key


def test_content_digest() -> None:
    digest = p.content_digest(b"hello")
    assert digest == "sha-256=:LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=:"
    assert p.digest_sha256("sha-512=:AAAA:, " + digest) == p.digest_sha256(digest)
    for bad in ["", "sha-256=LPJN", "sha-256=:!!:", "sha-256=:AAAA:", "md5=:AAAA:"]:
        assert p.digest_sha256(bad) is None, bad
    assert p.clock_skew_ok("1000", now=1000 + p.MAX_CLOCK_SKEW_S)
    assert not p.clock_skew_ok("1000", now=1001 + p.MAX_CLOCK_SKEW_S)


def test_the_upload_announcement_is_signed_only_when_sent() -> None:
    kiosk = p.generate_signing_key()
    announcement = p.encode_announcement({"document_id": "x", "pages": 1})
    headers = p.sign_request(kiosk, "k-1", "POST", "/api/v1/uploads", b"sealed",
                             timestamp=1000, upload_announcement=announcement)
    assert headers[p.HEADER_UPLOAD_ANNOUNCEMENT] == announcement
    auth = _parsed(headers)
    assert p.verify_request(kiosk.public_key(), "POST", "/api/v1/uploads", auth)
    for other in ("", p.encode_announcement({"document_id": "y", "pages": 1})):
        altered = dataclasses.replace(auth, upload_announcement=other)
        assert not p.verify_request(kiosk.public_key(), "POST", "/api/v1/uploads", altered)
    # without it, the nine lines every kiosk has signed since version 2
    nine = p.request_signing_input("GET", "/x", "k-1", 1000, "n" * 22, 0, "d")
    assert nine.count(b"\n") == 8
    long = {k.lower(): v for k, v in headers.items()}
    long["upload-announcement"] = "A" * 4096
    assert p.parse_request_auth(long) == "bad_signature"
    long["upload-announcement"] = "not base64!"
    assert p.parse_request_auth(long) == "bad_signature"
