"""Times on staff pages are written the way the page's language writes them."""

from __future__ import annotations

from jobcentre.staff.i18n import Translator


def test_times_follow_the_page_language() -> None:
    iso = "2026-11-30T11:24:00.000Z"  # 12:24 in Berlin (winter time)
    assert Translator("de").when(iso) == "30.11.2026, 12:24 Uhr"
    assert Translator("en").when(iso) == "30 Nov 2026, 12:24"
    assert Translator("en").when("not a time") == "not a time"
