"""``kiosk-server serve``: its options (limits, timeouts, trusted proxies) and the server run.

Every limit of the HTTP front (``jobcentre.http_front.FrontLimits``) and of the live channel
is a flag, so that tests and small installations can use short or small ones.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import fcntl
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from foundation.errors import SetupError
from jobcentre.cli_fleet import add_fleet_options, fleet_settings

STARTUP_LOCK_TIMEOUT_S = 120.0

_FRONT_FLAGS: tuple[tuple[str, str, type, str], ...] = (
    ("--header-timeout", "header_timeout_s", float,
     "close a connection whose request headers are not complete after S seconds (30)"),
    ("--keep-alive", "keep_alive_s", int, "close idle keep-alive connections after S s (5)"),
    ("--body-min-rate", "body_min_rate", float,
     "minimum average body rate in bytes/s, after the grace period (2048)"),
    ("--body-grace", "body_grace_s", float, "grace period before the body rate counts (10)"),
    ("--max-concurrent", "max_concurrent", int,
     "requests in progress beyond which 503 busy is answered; live polls do not count (256)"),
    ("--address-rate", "address_rate", float,
     "unauthenticated requests per second per client address (10)"),
    ("--address-burst", "address_burst", float, "burst of the address limit (200)"),
    ("--kiosk-rate", "kiosk_rate", float, "signed requests per second per kiosk (10)"),
    ("--kiosk-burst", "kiosk_burst", float, "burst of the kiosk limit (120)"),
    ("--live-rate", "live_rate", float, "live-channel polls per second per kiosk (1)"),
    ("--live-burst", "live_burst", float, "burst of the live-channel limit (10)"),
)


def add_serve_parser(sub: Any, with_db: Any, data_type: Any) -> None:
    """Add the ``serve`` sub-command and its options."""
    serve = sub.add_parser("serve", help="run the HTTP intake service")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8443, help="0 picks a free port")
    with_db(serve)
    serve.add_argument("--max-sealed-bytes", type=int, default=None, help="upload size limit")
    serve.add_argument("--max-pages", type=int, default=None, help="page limit per document")
    serve.add_argument("--tls-cert", type=Path, help="PEM certificate (HTTPS)")
    serve.add_argument("--tls-key", type=Path, help="PEM private key (HTTPS)")
    serve.add_argument("--live-max-wait", type=float, default=None, metavar="S",
                       help="longest a live-channel poll is held open (default 25 s)")
    serve.add_argument("--live-max-waiting", type=int, default=None, metavar="N",
                       help="waiting live-channel polls per process (default 12000)")
    serve.add_argument("--help-escalate-after", type=float, default=120.0, metavar="S",
                       help="a help call nobody acknowledged within S seconds escalates on "
                       "every service desk (default 120)")
    serve.add_argument("--staff-idle-seconds", type=int, default=None,
                       help="end staff sessions after this idle time (default 900)")
    serve.add_argument("--kek-file", type=Path, metavar="PATH",
                       help="key-encryption key of the stored documents (default: the systemd "
                       "credential kiosk-server-kek); never inside the data directory")
    for flag, dest, kind, text in _FRONT_FLAGS:
        serve.add_argument(flag, dest=dest, type=kind, default=None, help=text)
    serve.add_argument("--workers", type=int, default=1, metavar="N",
                       help="intake processes sharing the socket (default 1); with more than "
                       "one, use PostgreSQL (--database) — see docs/intake-api.md")
    serve.add_argument("--trusted-proxy", dest="trusted_proxies", action="append", default=[],
                       metavar="ADDR[/BITS]", help="a reverse proxy whose X-Forwarded-For is "
                       "believed (repeatable); e.g. 127.0.0.1 for nginx on the same host")
    serve.add_argument("--log-format", choices=("text", "json"), default="text",
                       help="json: one JSON object per log line (no personal data)")
    add_fleet_options(serve)


def front_limits(args: argparse.Namespace) -> Any:
    """The ``FrontLimits`` the flags describe (defaults where not given)."""
    from jobcentre.http_front import FrontLimits, parse_networks

    values = {dest: getattr(args, dest) for _, dest, _, _ in _FRONT_FLAGS
              if getattr(args, dest) is not None}
    for dest, value in values.items():
        if value <= 0:
            raise SetupError(f"--{dest.removesuffix('_s').replace('_', '-')} must be positive")
    try:
        parse_networks(args.trusted_proxies)
    except ValueError as exc:
        raise SetupError(f"--trusted-proxy: {exc}") from exc
    return FrontLimits(**values, trusted_proxies=tuple(args.trusted_proxies))


def serve(args: argparse.Namespace) -> int:
    """Run the intake service until interrupted."""
    from jobcentre.allocator import tune_allocator
    from jobcentre.gc_tuning import tune_gc
    from jobcentre.http_protocol import uvicorn_config
    from jobcentre.intake import IntakeLimits
    from jobcentre.intake_server import IntakeServer
    from jobcentre.live import LiveLimits
    from jobcentre.service import create_app

    defaults = IntakeLimits()
    limits = IntakeLimits(
        max_sealed_bytes=args.max_sealed_bytes or defaults.max_sealed_bytes,
        max_pages=args.max_pages or defaults.max_pages,
    )
    if bool(args.tls_cert) != bool(args.tls_key):
        raise SetupError("--tls-cert and --tls-key go together")
    front = front_limits(args)
    staff = None
    if args.staff_idle_seconds is not None:
        from datetime import timedelta

        from jobcentre.staff.web import StaffSettings

        if args.staff_idle_seconds < 1:
            raise SetupError("--staff-idle-seconds must be at least 1")
        staff = StaffSettings(idle=timedelta(seconds=args.staff_idle_seconds))
    if args.workers < 1:
        raise SetupError("--workers must be at least 1")
    escalate = getattr(args, "help_escalate_after", 120.0)
    if escalate <= 0:
        raise SetupError("--help-escalate-after must be positive")
    live = LiveLimits()
    live = LiveLimits(max_wait_s=args.live_max_wait or live.max_wait_s,
                      max_waiting=args.live_max_waiting or live.max_waiting)

    fleet = fleet_settings(args)

    def work(sock: socket.socket) -> int:
        with _startup_lock(args.data):  # one worker at a time creates the tables it needs
            app = create_app(args.data, args.database, limits=limits, live_limits=live,
                             staff=staff, front=front, kek_file=args.kek_file,
                             help_escalate_s=escalate, fleet=fleet)
        config = uvicorn_config(app, front, args.tls_cert, args.tls_key)
        tune_gc()
        IntakeServer(config).run(sockets=[sock])
        return 0

    tune_allocator()
    sockets = _bind_all(args.host, args.port, args.workers)
    sock = sockets[0]
    try:
        host, port = sock.getsockname()[:2]
        scheme = "https" if args.tls_cert else "http"
        if args.workers == 1:
            app = create_app(args.data, args.database, limits=limits, live_limits=live,
                             staff=staff, front=front, kek_file=args.kek_file,
                             help_escalate_s=escalate, fleet=fleet)
            print(f"kiosk-server listening on {scheme}://{host}:{port}", flush=True)
            config = uvicorn_config(app, front, args.tls_cert, args.tls_key)
            tune_gc()
            IntakeServer(config).run(sockets=[sock])
        else:
            from jobcentre.workers import supervise

            print(f"kiosk-server ({args.workers} workers) listening on "
                  f"{scheme}://{host}:{port}", flush=True)
            supervise(sockets, work)
    finally:
        for each in sockets:
            each.close()
    return 0


@contextlib.contextmanager
def _startup_lock(data_dir: Path) -> Iterator[None]:
    """Serialise the workers' start-up (each store creates its tables with IF NOT EXISTS,
    which races on PostgreSQL: two workers creating one table at once, one fails)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(data_dir / ".startup.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + STARTUP_LOCK_TIMEOUT_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise SetupError("another intake worker did not finish starting") from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _bind_all(host: str, port: int, count: int) -> list[socket.socket]:
    """``count`` listening sockets on one port (``SO_REUSEPORT`` if more than one; port 0:
    the port the first one got)."""
    first = _bind(host, port, reuse_port=count > 1)
    sockets = [first]
    try:
        port = first.getsockname()[1]
        sockets += [_bind(host, port, reuse_port=True) for _ in range(count - 1)]
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def _bind(host: str, port: int, reuse_port: bool = False) -> socket.socket:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise SetupError(f"cannot resolve host {host!r}") from exc
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise SetupError(f"port {port} on {host} is already in use") from exc
        if exc.errno == errno.EACCES:
            raise SetupError(f"no permission to listen on port {port}") from exc
        raise SetupError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    sock.set_inheritable(True)
    return sock
