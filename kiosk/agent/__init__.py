"""The kiosk agent: a separate process that uploads the outbox and watches device health.

``kiosk agent`` (or ``python -m kiosk.agent --data DIR``) runs :class:`runner.Agent`; the UI
talks to it through :class:`client.AgentClient` on ``<data>/agent.sock`` (JSON lines, ops
``ping``, ``kick``, ``status``, ``document_states``) and keeps working when it is down.
"""
