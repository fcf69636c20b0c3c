"""The staff web app of ``kiosk-server``: accounts, sessions, CSRF, audit log and pages.

``jobcentre.staff.app.create_staff_app`` builds it; ``jobcentre.service`` mounts it at
``/staff``. Pages live in ``jobcentre.staff.pages`` (one module each, listed in ``PAGES``).
"""
