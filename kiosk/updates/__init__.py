"""App updates on the kiosk: A/B environments over a shared base, switched between sessions.

``layout`` (the folders and the atomic switch), ``download`` (signed, ranged, hash-checked),
``apply`` (the ``app_update`` applier), ``trial`` (health check, guard, rollback, report),
``health`` (``kiosk update check``), ``supervise`` (``kiosk supervise``), ``cli``.
"""
