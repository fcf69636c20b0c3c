"""Fixtures for the staff web app: a real kiosk-server with staff accounts and a submitted
document, one headless Debian Chromium per test module (Playwright), and axe-core."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.jobcentre.helpers import PYTHON, Document, Kiosk, ServerProcess, make_pdf, upload

ROOT = Path(__file__).resolve().parents[3]
CHROMIUM = "/usr/lib/chromium/chromium"
AXE = ROOT / ".cache" / "node" / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "correct horse battery staple"
ACCOUNTS = {"anna": "admin", "otto": "ops", "clara": "counsellor", "dora": "desk"}


def add_staff(server: ServerProcess, user: str, role: str, password: str = PASSWORD) -> None:
    """``kiosk-server staff add`` as a real process, password on stdin."""
    args = [PYTHON, "-m", "jobcentre.cli", "staff", "add", "--data", str(server.data_dir),
            "--user", user, "--role", role, "--password-stdin"]
    if server.database_url:
        args += ["--database", server.database_url]
    done = subprocess.run(args, input=password + "\n", capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr


@dataclass
class StaffSite:
    """A running server with staff accounts and one document submitted by a kiosk."""

    server: ServerProcess
    kiosk: Kiosk
    document: Document

    @property
    def url(self) -> str:
        """The server's base URL."""
        return self.server.url


def start_site(base: Path, extra: tuple[str, ...] = ()) -> StaffSite:
    """Start a server, add the accounts and submit one document through the kiosk path."""
    data = base / "data"
    data.mkdir(parents=True)
    server = ServerProcess(data, None, extra).start()
    for user, role in ACCOUNTS.items():
        add_staff(server, user, role)
    kiosk = Kiosk(server, name="Foyer 1")
    doc = Document(kiosk, make_pdf(pages=2), 2)
    answer = upload(kiosk, doc)
    assert answer.status_code == 200, answer.text
    return StaffSite(server, kiosk, doc)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StaffSite]:
    """The module's server (default settings)."""
    staff_site = start_site(tmp_path_factory.mktemp("staff"))
    try:
        yield staff_site
    finally:
        staff_site.kiosk.close()
        staff_site.server.stop()


@contextmanager
def headless_chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless, through Playwright (closed on leaving)."""
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--no-first-run", "--disable-component-update", "--disable-sync"])
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Debian Chromium for the whole module."""
    with headless_chromium() as chromium:
        yield chromium


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile (no cookies) per test."""
    ctx = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    """A page in the fresh profile."""
    return context.new_page()


def log_in(page: Page, site: StaffSite, user: str, password: str = PASSWORD,
           lang: str = "de") -> None:
    """Fill in and send the login form like a person (keyboard only)."""
    page.goto(f"{site.url}/staff/login?lang={lang}")
    page.get_by_label("Benutzername" if lang == "de" else "User name").fill(user)
    page.get_by_label("Passwort" if lang == "de" else "Password").fill(password)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def axe_violations(page: Page) -> list[dict[str, object]]:
    """Run axe-core (WCAG 2.0/2.1/2.2 A and AA rules) on the page; returns the violations."""
    if not AXE.exists():
        pytest.fail(f"axe-core missing at {AXE}: run ./quickstart test once")
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "() => axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}})")
    return [{"id": v["id"], "nodes": [n["target"] for n in v["nodes"]]}
            for v in result["violations"]]
