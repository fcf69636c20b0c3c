"""The real kiosk's call code against a real intake server, for the end-to-end call tests.

``RealKiosk`` is what runs on a kiosk: an enrolled ``Agent`` (signed kiosk requests, the live
channel, its unix socket) and, in the UI process's place, the ``CallController`` with its
``CallEngine`` (aiortc), the simulated camera and microphone and the simulated loudspeaker.
The controller speaks to the agent over the agent's socket exactly as the kiosk app does.

The kiosk lives on the host side of the test's network namespace (its media leave from the
host-side veth address). It reaches the server inside the namespace through ``TcpForward``:
a loopback port on this side relayed over the veth. The kiosk's configuration allows plain
http only to loopback, and this keeps that rule while all of the kiosk's traffic to the job
centre still crosses the veth, so cutting the veth cuts signalling and media together, as a
real network drop at the kiosk would.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from pathlib import Path

from config.model import BackendConfig, KioskConfig
from device_drivers.camera import CallVideo, SimulatedCamera
from device_drivers.loudspeaker import SimulatedLoudspeaker
from device_drivers.microphone import SimulatedMicrophone
from jobcentre.enrollment import issue_code
from kiosk.agent.client import AgentClient
from kiosk.agent.live import LiveBackoff
from kiosk.agent.runner import Agent
from kiosk.call.signalling import CallSignalling
from kiosk.controllers.call import CallController
from kiosk.delivery.identity import enroll
from tests.call.netns_harness import scene
from tests.jobcentre.helpers import ServerProcess

CONNECT_TIMEOUT_S = 3.0


class TcpForward:
    """Relays connections to ``127.0.0.1:<port>`` on to ``target`` (in its own loop thread)."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._server: asyncio.Server | None = None
        self._thread = threading.Thread(target=self._run, daemon=True, name="tcp-forward")
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("port forward did not start")

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._relay, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        tasks = asyncio.all_tasks(self._loop)
        for task in tasks:
            task.cancel()
        self._loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        self._loop.close()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.wait_for(
                asyncio.open_connection(*self.target), CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError):
            writer.close()
            return

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (OSError, ConnectionError):
                pass
            finally:
                with contextlib.suppress(OSError, RuntimeError):
                    dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    @property
    def url(self) -> str:
        """The forwarded server as the kiosk sees it."""
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        """Stop accepting and stop the loop."""
        def stop() -> None:
            if self._server is not None:
                self._server.close()
            self._loop.stop()

        self._loop.call_soon_threadsafe(stop)
        self._thread.join(10)


class RealKiosk:
    """An enrolled kiosk agent and the kiosk's call controller with simulated media."""

    def __init__(self, server: ServerProcess, data: Path, name: str) -> None:
        host, port = server.url.rsplit("/", 1)[1].rsplit(":", 1)
        self.forward = TcpForward(host, int(port))
        data.mkdir(parents=True, exist_ok=True)
        enroll(self.forward.url, issue_code(server.data_dir, name, server.database_url), data)
        # Long polls of 2 s: messages come at once either way, but stopping the agent waits
        # for the poll in flight (5 s polls made every test's teardown 5 s longer).
        config = KioskConfig(data_dir=data, backend=BackendConfig(
            mode="remote", url=self.forward.url, live_wait_s=2.0))
        self.started = time.monotonic()
        self.agent = Agent(config, data)
        self.agent.start()
        assert self.agent.live is not None
        # A kiosk back on the network polls again within a second or two (not after the
        # minute-long backoff meant for a job centre that is down).
        self.agent.live.backoff = LiveBackoff(first_s=0.2, max_s=1.5)
        client = AgentClient(self.agent.socket_path, timeout_s=15.0)
        self.speaker = SimulatedLoudspeaker()
        self.video = CallVideo(SimulatedCamera([scene()]), 640, 480, 20)
        self.controller = CallController(CallSignalling(client.call), self.video,
                                         SimulatedMicrophone("speech"), self.speaker,
                                         poll_s=0.1)

    def wait(self, predicate: Callable[[], bool], what: str, timeout_s: float = 20) -> float:
        """Seconds until ``predicate()`` held (an upper bound against hanging, not a timing
        check); fails naming ``what``."""
        start = time.monotonic()
        while not predicate():
            if time.monotonic() - start > timeout_s:
                raise AssertionError(f"kiosk: {what} not reached in {timeout_s} s")
            time.sleep(0.1)
        return time.monotonic() - start

    def close(self) -> None:
        """Hang up whatever is open, stop the call loop, the agent and the forward."""
        self.controller.close()
        self.agent.stop()
        self.forward.close()


def host_candidates_only(address: str) -> Callable[[bool, bool], list[str]]:
    """Replacement for ``aioice.ice.get_host_addresses``: only the host-side veth address."""
    def addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return [address]

    return addresses

