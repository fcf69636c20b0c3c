"""A whole fleet for end-to-end tests, once per module: ``kiosk-server`` on PostgreSQL, two
enrolled real agents (remote mode, simulated devices, 0.3 s heartbeats), a webhook receiver
and an SMTP server on loopback, and one headless Chromium (Playwright).

Other fleet parts reuse it: ``fleet`` gives the server, the agents (``fleet.agents[0]`` at
site "Jobcenter Musterstadt", ``[1]`` at "Außenstelle Nordheim"), the received webhook
events and mails; ``ops_page`` is a Chromium page logged in as the ``ops`` account ``otto``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Browser, Page

from config.model import BackendConfig, FleetConfig, KioskConfig, KioskIdentity
from jobcentre.enrollment import issue_code
from kiosk.agent.runner import Agent
from kiosk.delivery.identity import enroll
from tests.jobcentre.conftest import new_database, pg_url  # noqa: F401 - the fixture
from tests.jobcentre.helpers import ServerProcess, free_port
from tests.jobcentre.staff.conftest import add_staff, headless_chromium
from tests.updates.conftest import base_venv, release_wheels  # noqa: F401 - the fixtures

HEARTBEAT_S = 0.3
SITES = ("Jobcenter Musterstadt", "Außenstelle Nordheim")
OPS_PASSWORD = "correct horse battery staple"


class WebhookReceiver:
    """A real HTTP server on loopback that records every JSON body POSTed to it."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("content-length", "0"))
                body = json.loads(self.rfile.read(length))
                with receiver._lock:
                    receiver.events.append(body)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                """Quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def received(self) -> list[dict[str, Any]]:
        """A copy of the events so far, in arrival order."""
        with self._lock:
            return list(self.events)

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()


class MailBox:
    """aiosmtpd's handler: keeps each message's subject and body."""

    def __init__(self) -> None:
        self.mails: list[tuple[str, str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        """Store one mail."""
        message = message_from_bytes(envelope.content, policy=policy.default)
        body = message.get_body()
        self.mails.append((str(message["Subject"]), body.get_content() if body else ""))
        return "250 OK"


@dataclass
class Fleet:
    """The running fleet of one test module."""

    server: ServerProcess
    agents: list[Agent]
    webhook: WebhookReceiver
    mailbox: MailBox
    kiosk_ids: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        """The server's base URL."""
        return self.server.url

    @property
    def server_log(self) -> Path:
        """Where the server's stderr goes (JSON lines)."""
        data = self.server.data_dir
        return data.parent / f"{data.name}-server.log"


def start_agent(server: ServerProcess, data: Path, name: str, site: str) -> Agent:
    """Enroll a kiosk data directory with the server and start its agent (remote mode)."""
    code = issue_code(server.data_dir, name, server.database_url)
    enroll(server.url, code, data, timeout_s=10)
    config = KioskConfig(
        data_dir=data, identity=KioskIdentity(site=site),
        backend=BackendConfig(mode="remote", url=server.url, live_wait_s=1.0, timeout_s=5.0),
        fleet=FleetConfig(heartbeat_s=HEARTBEAT_S))
    agent = Agent(config, data)
    agent.start()
    return agent


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory, pg_url: str) -> Iterator[Fleet]:  # noqa: F811
    """Server on PostgreSQL + webhook + SMTP + two enrolled agents."""
    base = tmp_path_factory.mktemp("fleet")
    webhook = WebhookReceiver()
    mailbox = MailBox()
    smtp_port = free_port()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    data = base / "server"
    data.mkdir()
    server = ServerProcess(data, new_database(pg_url), (
        "--fleet-webhook", webhook.url, "--fleet-smtp", f"127.0.0.1:{smtp_port}",
        "--fleet-mail-to", "ops@jobcenter.example", "--fleet-check-every", "0.5",
        "--fleet-dashboard-poll", "0.5", "--kiosk-rate", "50", "--kiosk-burst", "200",
        "--log-format", "json"))
    server.start()
    agents: list[Agent] = []
    try:
        add_staff(server, "otto", "ops", OPS_PASSWORD)
        for number, site in enumerate(SITES, start=1):
            agents.append(start_agent(server, base / f"kiosk{number}", f"Wartebereich {number}",
                                      site))
        running = Fleet(server, agents, webhook, mailbox)
        from kiosk.delivery.identity import load_identity

        for agent in agents:
            identity = load_identity(agent.data_dir)
            assert identity is not None
            running.kiosk_ids.append(identity.kiosk_id)
        yield running
    finally:
        for agent in agents:
            agent.stop()
        server.stop()
        smtp.stop()
        webhook.close()


@pytest.fixture(scope="module")
def fleet_browser() -> Iterator[Browser]:
    """One headless Debian Chromium for the module."""
    with headless_chromium() as chromium:
        yield chromium


@pytest.fixture(scope="module")
def ops_page(fleet: Fleet, fleet_browser: Browser) -> Iterator[Page]:
    """A Chromium page logged in as ``otto`` (role ops), German."""
    context = fleet_browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{fleet.url}/staff/login?lang=de")
    page.get_by_label("Benutzername").fill("otto")
    page.get_by_label("Passwort").fill(OPS_PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    try:
        yield page
    finally:
        context.close()
