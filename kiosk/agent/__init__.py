"""The kiosk agent: a separate process that uploads the outbox and watches device health.

``kiosk agent`` (or ``python -m kiosk.agent --data DIR``) runs :class:`runner.Agent`; the UI
talks to it through :class:`client.AgentClient` on ``<data>/agent.sock`` (JSON lines; the
commands and who may call them are registered in :mod:`operations`) and keeps working when it
is down.
"""
