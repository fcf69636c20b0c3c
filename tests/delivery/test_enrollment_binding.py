"""A rogue centre on the enrollment path: a relay to an attacker-run ``kiosk-server``.

Two real intake services run as processes, each with its own keys: the job centre and the
attacker's. A small HTTP relay on loopback sits between the kiosk and them and swaps the
kiosk's enrollment code for one the attacker's server issued. The kiosk must refuse, store
nothing, and the real code must still work when the kiosk enrolls directly.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from foundation.errors import EnrollmentError
from jobcentre.enrollment import issue_code
from jobcentre.keys import load_centre_keys
from kiosk.delivery.identity import enroll, load_identity
from tests.jobcentre.helpers import ServerProcess
from wire import enrollment as binding

ENROLL_PATH = "/api/v1/enroll"


@dataclass
class RelayPlan:
    """Where the relay sends each request and how it rewrites the enroll body."""

    keys_from: str  # upstream URL for GET /api/v1/enroll (the keys the kiosk checks)
    enroll_to: str  # upstream URL for POST /api/v1/enroll
    rewrite: dict[str, str] = field(default_factory=dict)  # body fields replaced on POST
    seen: list[tuple[str, int]] = field(default_factory=list)  # (method, upstream status)


class Relay:
    """An HTTP relay on loopback that forwards to upstreams chosen per request."""

    def __init__(self, plan: RelayPlan) -> None:
        self.plan = plan
        relay = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output quiet
                pass

            def _forward(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                upstream = relay.plan.keys_from if method == "GET" else relay.plan.enroll_to
                if method == "POST" and self.path == ENROLL_PATH and relay.plan.rewrite:
                    payload = json.loads(body)
                    payload.update(relay.plan.rewrite)
                    body = json.dumps(payload).encode()
                with httpx.Client(timeout=10) as client:
                    answer = client.request(method, upstream + self.path, content=body,
                                            headers={"Content-Type": "application/json"})
                relay.plan.seen.append((method, answer.status_code))
                self.send_response(answer.status_code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                self._forward("GET")

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                self._forward("POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture()
def centres(tmp_path: Path) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """The real job centre and an attacker-run centre, each a real process with its own keys."""
    real = ServerProcess(tmp_path / "real", None).start()
    try:
        rogue = ServerProcess(tmp_path / "rogue", None).start()
        try:
            yield real, rogue
        finally:
            rogue.stop()
    finally:
        real.stop()


def _assert_enrolled_to(real: ServerProcess, kiosk_dir: Path) -> None:
    identity = load_identity(kiosk_dir)
    assert identity is not None
    keys = load_centre_keys(real.data_dir)
    assert identity.centre_signing_public_key == keys.signing_public
    assert identity.centre_encryption_public_key == keys.encryption_public
    assert identity.server_url == real.url


@pytest.mark.parametrize("keys_from", ["rogue", "real"])
def test_relay_swapping_the_code_for_a_rogue_one_is_refused(
    centres: tuple[ServerProcess, ServerProcess], tmp_path: Path, keys_from: str
) -> None:
    real, rogue = centres
    real_code = issue_code(real.data_dir, "Foyer 1")
    rogue_code = issue_code(rogue.data_dir, "Foyer 1")
    # "real": the relay even shows the real centre's keys, and enrolls at the rogue
    plan = RelayPlan(keys_from=rogue.url if keys_from == "rogue" else real.url,
                     enroll_to=rogue.url, rewrite={"code": rogue_code})
    relay = Relay(plan)
    kiosk_dir = tmp_path / "kiosk"
    try:
        with pytest.raises(EnrollmentError) as refused:
            enroll(relay.url, real_code, kiosk_dir, timeout_s=10)
    finally:
        relay.close()
    assert refused.value.code == "enrollment_wrong_centre"
    assert "not the job centre that issued it" in str(refused.value)
    assert load_identity(kiosk_dir) is None
    if keys_from == "rogue":
        assert plan.seen == [("GET", 200)], "the code must not leave the kiosk"
    else:
        assert plan.seen == [("GET", 200), ("POST", 200)], "the rogue answered"
    enroll(real.url, real_code, kiosk_dir, timeout_s=10)  # the real code still works
    _assert_enrolled_to(real, kiosk_dir)


def test_answer_for_another_nonce_is_refused(
    centres: tuple[ServerProcess, ServerProcess], tmp_path: Path
) -> None:
    real, _ = centres
    code = issue_code(real.data_dir, "Foyer 2")
    # A relay that replays or fabricates: the real centre signs, but not over our nonce.
    plan = RelayPlan(keys_from=real.url, enroll_to=real.url,
                     rewrite={"nonce": binding.new_nonce()})
    relay = Relay(plan)
    try:
        with pytest.raises(EnrollmentError, match="did not prove"):
            enroll(relay.url, code, tmp_path / "kiosk", timeout_s=10)
    finally:
        relay.close()
    assert load_identity(tmp_path / "kiosk") is None


def test_mistyped_code_is_caught_before_it_is_sent(
    centres: tuple[ServerProcess, ServerProcess], tmp_path: Path
) -> None:
    real, _ = centres
    code = issue_code(real.data_dir, "Foyer 3")
    typo = code[:-1] + ("A" if code[-1] != "A" else "B")
    with pytest.raises(EnrollmentError, match="mistyped"):
        enroll(real.url, typo, tmp_path / "kiosk", timeout_s=10)
    with pytest.raises(EnrollmentError, match="28 letters"):
        enroll(real.url, code[:24], tmp_path / "kiosk", timeout_s=10)
    # typed by hand: lower case, spaces instead of dashes -- and not burned by the typo
    enroll(real.url, code.lower().replace("-", " "), tmp_path / "kiosk", timeout_s=10)
    _assert_enrolled_to(real, tmp_path / "kiosk")


def test_plain_http_to_another_machine_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EnrollmentError, match="must use https://") as refused:
        enroll("http://intake.jobcenter.example", "A" * 28, tmp_path / "kiosk", timeout_s=1)
    assert refused.value.code == "enrollment_url"
    assert not (tmp_path / "kiosk").exists()
