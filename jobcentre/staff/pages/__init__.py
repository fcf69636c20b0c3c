"""The staff pages, one module each. ``PAGES`` lists them in navigation order.

A page module has ``NAV`` (a ``NavEntry`` or None for pages outside the navigation) and
``add_routes(router, ctx)``. Adding a page = one module here plus its name in ``PAGES``.
"""

from __future__ import annotations

from types import ModuleType

from jobcentre.staff.pages import (
    audit_log,
    calls,
    desk,
    documents,
    fleet,
    fleet_commands,
    fleet_rollouts,
    fleet_updates,
    kiosks,
    login,
    receipts,
)

# fleet_updates before fleet_rollouts: its /fleet/rollouts/new-update must match before
# /fleet/rollouts/{rollout_id}
PAGES: tuple[ModuleType, ...] = (login, documents, desk, receipts, kiosks, fleet,
                                 fleet_updates, fleet_rollouts, calls, audit_log, fleet_commands)
