"""Alert notifications: an optional webhook (JSON POST) and e-mail through an SMTP relay.

``Notifier.enqueue`` never blocks the heartbeat: events go into a bounded queue that one
daemon thread per intake process works off (a full queue drops the event with a warning;
the dashboard still shows the alert). The webhook gets the event as JSON with a timeout and
up to ``webhook_attempts`` tries with doubling backoff; the mail goes through ``smtplib``
with a timeout, STARTTLS when configured (and login when a user is set). Events carry kiosk
id, site, alert kind, subject and times only: nothing personal.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import smtplib
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import httpx

log = logging.getLogger(__name__)

QUEUE_SIZE = 1000
SUBJECTS = {"raised": "Flotte Alarm: {kind} an {kiosk_id} ({site})",
            "cleared": "Flotte behoben: {kind} an {kiosk_id} ({site})"}


@dataclass(frozen=True)
class NotifySettings:
    """Where notifications go (``kiosk-server serve --fleet-*`` options); all optional."""

    webhook_url: str | None = None
    webhook_timeout_s: float = 5.0
    webhook_attempts: int = 4
    webhook_backoff_s: float = 0.5
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_timeout_s: float = 10.0
    mail_from: str = "kiosk-fleet@localhost"
    mail_to: tuple[str, ...] = ()

    @property
    def enabled(self) -> bool:
        """Whether anything is configured."""
        return bool(self.webhook_url or (self.smtp_host and self.mail_to))


def mail_text(event: dict[str, Any]) -> tuple[str, str]:
    """Subject and body of the mail for one event."""
    subject = SUBJECTS.get(event["event"], "{kind}").format(**event)
    lines = [f"{key}: {event[key]}" for key in ("event", "kind", "subject", "kiosk_id", "site",
                                                 "raised_at", "cleared_at") if event.get(key)]
    return subject, "\n".join(lines) + "\n"


class Notifier:
    """Sends alert events to the webhook and the mail relay from its own thread."""

    def __init__(self, settings: NotifySettings, sleep: Any = time.sleep) -> None:
        self.settings = settings
        self.sleep = sleep
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue(QUEUE_SIZE)
        self._thread: threading.Thread | None = None
        self.delivered = {"webhook": 0, "mail": 0}
        self.failed = {"webhook": 0, "mail": 0}

    def start(self) -> None:
        """Start the sending thread (nothing to do when nothing is configured)."""
        if self.settings.enabled and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="fleet-notify", daemon=True)
            self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Finish what is queued (within ``timeout_s``) and stop."""
        if self._thread is not None:
            with contextlib.suppress(queue.Full):
                self._queue.put(None, timeout=timeout_s)
            self._thread.join(timeout_s)
            self._thread = None

    def enqueue(self, event: dict[str, Any]) -> None:
        """Queue one event; never blocks (drops it when the queue is full)."""
        if not self.settings.enabled:
            return
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            log.warning("fleet notification dropped: queue full")

    def _run(self) -> None:
        while True:
            event = self._queue.get()
            if event is None:
                return
            if self.settings.webhook_url:
                self._count("webhook", self.post_webhook(event))
            if self.settings.smtp_host and self.settings.mail_to:
                self._count("mail", self.send_mail(event))

    def _count(self, channel: str, ok: bool) -> None:
        (self.delivered if ok else self.failed)[channel] += 1

    def post_webhook(self, event: dict[str, Any]) -> bool:
        """POST the event as JSON, retrying with backoff; True once it was accepted (2xx)."""
        settings = self.settings
        assert settings.webhook_url is not None
        delay = settings.webhook_backoff_s
        body = json.dumps(event, sort_keys=True).encode()
        for attempt in range(1, settings.webhook_attempts + 1):
            try:
                response = httpx.post(settings.webhook_url, content=body,
                                      headers={"Content-Type": "application/json"},
                                      timeout=settings.webhook_timeout_s)
                if 200 <= response.status_code < 300:
                    return True
                reason = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                reason = type(exc).__name__
            log.warning("fleet webhook attempt %d failed: %s", attempt, reason)
            if attempt < settings.webhook_attempts:
                self.sleep(delay)
                delay *= 2
        return False

    def send_mail(self, event: dict[str, Any]) -> bool:
        """Send the event as a plain-text mail through the relay; True if it took it."""
        settings = self.settings
        assert settings.smtp_host is not None
        subject, text = mail_text(event)
        message = EmailMessage()
        message["From"] = settings.mail_from
        message["To"] = ", ".join(settings.mail_to)
        message["Subject"] = subject
        message.set_content(text)
        try:
            with smtplib.SMTP(settings.smtp_host, settings.smtp_port,
                              timeout=settings.smtp_timeout_s) as smtp:
                if settings.smtp_starttls:
                    smtp.starttls()
                if settings.smtp_user and settings.smtp_password is not None:
                    smtp.login(settings.smtp_user, settings.smtp_password)
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("fleet mail not sent: %s", type(exc).__name__)
            return False
        return True
