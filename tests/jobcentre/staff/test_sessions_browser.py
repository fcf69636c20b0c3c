"""Lockout and idle timeout in Chromium, on a server whose staff sessions end after 2 s idle."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

from tests.jobcentre.staff.conftest import StaffSite, axe_violations, log_in, start_site

IDLE_SECONDS = 2


@pytest.fixture(scope="module")
def short_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StaffSite]:
    """A server started with ``--staff-idle-seconds 2``."""
    site = start_site(tmp_path_factory.mktemp("staff-idle"),
                      ("--staff-idle-seconds", str(IDLE_SECONDS)))
    try:
        yield site
    finally:
        site.kiosk.close()
        site.server.stop()


def test_repeated_failures_lock_the_account_with_a_clear_message(
    page: Page, short_site: StaffSite
) -> None:
    for _ in range(4):
        log_in(page, short_site, "dora", password="wrong password again")
        assert "Benutzername oder Passwort ist falsch" in page.inner_text("main")
    log_in(page, short_site, "dora", password="wrong password again")
    text = page.inner_text("[role=alert]")
    assert "Zu viele Fehlversuche" in text and "30 Sekunden" in text
    log_in(page, short_site, "dora")  # the right password does not help while locked
    assert "Zu viele Fehlversuche" in page.inner_text("main") and "/login" in page.url
    assert axe_violations(page) == []
    log_in(page, short_site, "anna")  # other accounts from this address still work
    assert page.url.endswith("/staff/documents")


def test_an_idle_session_ends_and_asks_to_sign_in_again(
    page: Page, short_site: StaffSite
) -> None:
    log_in(page, short_site, "anna")
    page.goto(f"{short_site.url}/staff/audit")
    assert page.get_by_role("heading", level=1).inner_text() == "Protokoll"
    page.wait_for_timeout((IDLE_SECONDS + 1) * 1000)
    page.goto(f"{short_site.url}/staff/kiosks")
    assert "/staff/login" in page.url and "next=/staff/kiosks" in page.url
    assert "wegen Inaktivität abgelaufen" in page.inner_text("main")
    assert not any(c["name"] == "__Host-staff_session" for c in page.context.cookies())
    log_in(page, short_site, "anna")
    page.goto(f"{short_site.url}/staff/kiosks")
    assert page.url.endswith("/staff/kiosks")
