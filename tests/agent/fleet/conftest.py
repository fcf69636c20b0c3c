"""The agent fixture of ``tests/agent`` for the fleet tests."""

from tests.agent.conftest import agent  # noqa: F401 - the running agent fixture
