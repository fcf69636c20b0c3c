"""The running agent keeps the live channel open and routes each message to its handler."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
from typing import Any

from kiosk.agent.runner import Agent
from kiosk.delivery.identity import load_identity


def test_agent_receives_a_live_message_from_the_job_centre(agent: Agent) -> None:
    received: queue.Queue[dict[str, Any]] = queue.Queue()
    agent.live_handlers["ops.test"] = received.put
    identity = load_identity(agent.data_dir)
    assert identity is not None and agent.embedded is not None
    subprocess.run(
        [sys.executable, "-m", "jobcentre.cli", "live-send", "--data",
         str(agent.embedded.server_dir), "--kiosk-id", identity.kiosk_id, "--type", "ops.test",
         "--body", json.dumps({"n": 1})],
        check=True, capture_output=True, timeout=60)
    message = received.get(timeout=60)  # an upper bound against hanging, not a timing check
    assert message["body"] == {"n": 1} and message["type"] == "ops.test"
    assert agent.live is not None and agent.live.connected
