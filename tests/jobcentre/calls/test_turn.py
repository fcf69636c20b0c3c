"""The same call with TURN only (``iceTransportPolicy: relay``): coturn from Debian started by
the test with ``use-auth-secret``, the server hands out short-lived REST credentials, and
media between counsellor and guest flows through the relay. coturn runs inside the session's
network namespace and listens and relays on its veth address only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from tests.jobcentre.calls.conftest import VideoSite, start_video_site
from tests.jobcentre.calls.coturn import running_coturn
from tests.jobcentre.calls.netns import NetNs
from tests.jobcentre.calls.test_browser import run_call


@pytest.fixture(scope="module")
def turn_site(tmp_path_factory: pytest.TempPathFactory, netns: NetNs) -> Iterator[VideoSite]:
    base = tmp_path_factory.mktemp("turn")
    with running_coturn(base, netns) as settings:
        site = start_video_site(base / "site", settings, netns)
        try:
            yield site
        finally:
            site.server.stop()


def test_call_through_turn_only(media_browser: Browser, turn_site: VideoSite) -> None:
    run_call(media_browser, turn_site, "de", shots=False, relay=True)
