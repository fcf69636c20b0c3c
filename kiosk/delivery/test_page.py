"""The printer test page: one layout for the maintenance panel and the fleet command."""

from __future__ import annotations

from datetime import datetime

from device_drivers.printer.layout import Cut, Feed, ReceiptLayout, Separator, TextLine


def test_page_layout(kiosk_id: str, now: datetime) -> ReceiptLayout:
    """A short test receipt: title, terminal id, time (UTC), a separator and a cut."""
    return ReceiptLayout.of(
        TextLine("Testseite", bold=True, size=2, align="center"),
        TextLine(f"Terminal {kiosk_id}", align="center"),
        TextLine(now.strftime("%Y-%m-%d %H:%M UTC"), align="center"), Separator(), Feed(2),
        Cut())
