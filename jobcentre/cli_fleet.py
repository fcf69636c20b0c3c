"""``kiosk-server serve`` options of the fleet's health part: notifications and ``/metrics``.

    --fleet-webhook URL            POST every alert raise/clear as JSON (timeout, retries)
    --fleet-smtp HOST[:PORT]       mail every alert raise/clear through this relay
    --fleet-smtp-starttls          upgrade the relay connection with STARTTLS
    --fleet-smtp-user USER         log in (password from --fleet-smtp-password-file)
    --fleet-mail-from / --fleet-mail-to ADDR (repeatable)
    --metrics-token-file PATH      /metrics needs "Authorization: Bearer <token>" (else loopback)
    --fleet-check-every S          the offline watcher's period (default 5 s)
    --fleet-dashboard-poll S       how often the dashboard's script polls (default 5 s)

Secrets come from files, never from the command line (it is visible to every user).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from foundation.errors import SetupError


def add_fleet_options(serve: Any) -> None:
    """Add the fleet options to the ``serve`` parser."""
    serve.add_argument("--fleet-webhook", metavar="URL",
                       help="POST fleet alerts (raised and cleared) as JSON to this URL")
    serve.add_argument("--fleet-smtp", metavar="HOST[:PORT]",
                       help="mail fleet alerts through this SMTP relay")
    serve.add_argument("--fleet-smtp-starttls", action="store_true",
                       help="use STARTTLS with the SMTP relay")
    serve.add_argument("--fleet-smtp-user", metavar="USER", help="SMTP login name")
    serve.add_argument("--fleet-smtp-password-file", type=Path, metavar="PATH",
                       help="file holding the SMTP password")
    serve.add_argument("--fleet-mail-from", default="kiosk-fleet@localhost", metavar="ADDR")
    serve.add_argument("--fleet-mail-to", action="append", default=[], metavar="ADDR",
                       help="recipient of fleet alert mails (repeatable)")
    serve.add_argument("--metrics-token-file", type=Path, metavar="PATH",
                       help="bearer token that /metrics requires (without: loopback only)")
    serve.add_argument("--fleet-check-every", type=float, default=5.0, metavar="S",
                       help="how often offline kiosks are looked for (default 5 s)")
    serve.add_argument("--fleet-dashboard-poll", type=float, default=5.0, metavar="S",
                       help="how often the ops dashboard refreshes states (default 5 s)")


def _secret(path: Path | None, flag: str) -> str | None:
    if path is None:
        return None
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise SetupError(f"{flag}: cannot read {path}: {exc.strerror}") from exc
    if not text:
        raise SetupError(f"{flag}: {path} is empty")
    return text


def fleet_settings(args: argparse.Namespace) -> Any:
    """The ``FleetSettings`` the options describe."""
    from jobcentre.fleet.notify import NotifySettings
    from jobcentre.fleet.routes_heartbeat import FleetSettings

    if args.fleet_check_every <= 0 or args.fleet_dashboard_poll <= 0:
        raise SetupError("--fleet-check-every and --fleet-dashboard-poll must be positive")
    host, port = None, 25
    if args.fleet_smtp:
        host, _, port_text = args.fleet_smtp.rpartition(":")
        if not host:
            host, port_text = args.fleet_smtp, "25"
        if not port_text.isdigit() or not host:
            raise SetupError("--fleet-smtp: expected HOST or HOST:PORT")
        port = int(port_text)
        if not args.fleet_mail_to:
            raise SetupError("--fleet-smtp needs at least one --fleet-mail-to")
    webhook = args.fleet_webhook
    if webhook and not webhook.startswith(("https://", "http://")):
        raise SetupError("--fleet-webhook: expected an http:// or https:// URL")
    notify = NotifySettings(
        webhook_url=webhook, smtp_host=host, smtp_port=port,
        smtp_starttls=args.fleet_smtp_starttls, smtp_user=args.fleet_smtp_user,
        smtp_password=_secret(args.fleet_smtp_password_file, "--fleet-smtp-password-file"),
        mail_from=args.fleet_mail_from, mail_to=tuple(args.fleet_mail_to))
    return FleetSettings(notify=notify,
                         metrics_token=_secret(args.metrics_token_file, "--metrics-token-file"),
                         check_every_s=args.fleet_check_every,
                         poll_ms=int(args.fleet_dashboard_poll * 1000))
