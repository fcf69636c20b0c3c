"""Staff accounts, sessions, lockout and the append-only audit log on both databases."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from foundation.errors import DatabaseUnavailable, SetupError
from jobcentre.repository import Repository, open_repository
from jobcentre.staff import audit, sessions
from jobcentre.staff.accounts import LoginResult, add_account, disable_account, log_in
from jobcentre.staff.i18n import CATALOG
from jobcentre.staff.lockout import LockoutPolicy
from jobcentre.staff.roles import Permission, Role, allows
from tests.jobcentre.helpers import run_cli

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery staple"
POLICY = LockoutPolicy(account_threshold=3, address_threshold=5,
                       base_delay=timedelta(seconds=30), max_delay=timedelta(minutes=15))


@pytest.fixture
def repo(tmp_path: Path, database: str | None) -> Iterator[Repository]:
    """A fresh repository on SQLite and on PostgreSQL."""
    opened = open_repository(tmp_path / "data", database)
    try:
        yield opened
    finally:
        opened.close()


def test_accounts_are_created_checked_and_disabled(repo: Repository) -> None:
    account = add_account(repo, " Anna ", "admin", PASSWORD, T0)
    assert account.username == "anna" and account.password_hash.startswith("$argon2id$")
    assert PASSWORD not in account.password_hash
    for user, role, password in (("anna", "desk", PASSWORD), ("x y", "desk", PASSWORD),
                                 ("bert", "boss", PASSWORD), ("bert", "desk", "short")):
        with pytest.raises(SetupError):
            add_account(repo, user, role, password, T0)
    ok = log_in(repo, "ANNA", PASSWORD, "10.0.0.1", POLICY, T0)
    assert ok.result is LoginResult.OK and ok.account is not None
    token = sessions.start_session(repo, ok.account, "10.0.0.1", T0)
    assert disable_account(repo, "anna", T0) and not disable_account(repo, "anna", T0)
    assert log_in(repo, "anna", PASSWORD, "10.0.0.1", POLICY, T0).result is LoginResult.WRONG
    assert sessions.resume_session(repo, token, T0).state is not sessions.SessionState.ACTIVE


def test_sessions_end_when_idle_and_activity_keeps_them(repo: Repository) -> None:
    account = add_account(repo, "carl", "counsellor", PASSWORD, T0)
    token = sessions.start_session(repo, account, "10.0.0.1", T0)
    idle = timedelta(minutes=15)
    assert repo.get_staff_session(token) is None  # stored hashed only
    for minutes in (10, 20, 30):  # each request within 15 minutes of the last
        resumed = sessions.resume_session(repo, token, T0 + timedelta(minutes=minutes), idle)
        assert resumed.state is sessions.SessionState.ACTIVE
    late = sessions.resume_session(repo, token, T0 + timedelta(minutes=46), idle)
    assert late.state is sessions.SessionState.EXPIRED
    again = sessions.resume_session(repo, token, T0 + timedelta(minutes=47), idle)
    assert again.state is sessions.SessionState.NONE
    assert sessions.resume_session(repo, "forged", T0).state is sessions.SessionState.NONE


def test_lockout_grows_per_account_and_per_address(repo: Repository) -> None:
    add_account(repo, "dora", "desk", PASSWORD, T0)
    add_account(repo, "emil", "ops", PASSWORD, T0)
    results = [log_in(repo, "dora", "wrong", "10.0.0.1", POLICY, T0) for _ in range(3)]
    assert [r.result for r in results] == [LoginResult.WRONG, LoginResult.WRONG,
                                           LoginResult.LOCKED]
    assert results[-1].wait == 30
    # locked: even the right password is refused, and the refusal is not counted
    during = log_in(repo, "dora", PASSWORD, "10.0.0.9", POLICY, T0 + timedelta(seconds=10))
    assert during.result is LoginResult.LOCKED and during.wait == 20
    later = T0 + timedelta(seconds=31)
    fourth = log_in(repo, "dora", "wrong", "10.0.0.9", POLICY, later)
    assert fourth.result is LoginResult.LOCKED and fourth.wait == 60  # the delay doubles
    after = later + timedelta(seconds=61)
    assert log_in(repo, "dora", PASSWORD, "10.0.0.9", POLICY, after).result is LoginResult.OK
    assert log_in(repo, "dora", "wrong", "10.0.0.9", POLICY, after).result is LoginResult.WRONG
    # the address 10.0.0.1 guessed at many names: it is locked for every name
    for name in ("x1", "x2"):
        log_in(repo, name, "wrong", "10.0.0.1", POLICY, after)
    blocked = log_in(repo, "emil", PASSWORD, "10.0.0.1", POLICY, after)
    assert blocked.result is LoginResult.LOCKED
    assert log_in(repo, "emil", PASSWORD, "10.0.0.2", POLICY, after).result is LoginResult.OK


def test_the_audit_log_is_append_only(repo: Repository) -> None:
    actor = audit.Actor("anna", "admin", "10.0.0.1")
    audit.record(repo, actor, "document.open", "document:abc", now=T0)
    audit.record(repo, actor, "kiosk.revoke", "kiosk:Foyer-1", now=T0 + timedelta(seconds=1))
    entries = repo.list_audit()
    assert [e.action for e in entries] == ["kiosk.revoke", "document.open"]
    assert [e.action for e in repo.list_audit(action="document.")] == ["document.open"]
    assert repo.list_audit(actor="nobody") == []
    for statement in ("UPDATE staff_audit SET actor = 'mallory'", "DELETE FROM staff_audit"):
        with pytest.raises(DatabaseUnavailable), repo._tx(write=True) as run:  # type: ignore[attr-defined]
            run(statement)
    assert len(repo.list_audit()) == 2 and repo.list_audit()[0].actor == "anna"


def test_roles_grant_what_the_readme_says() -> None:
    assert allows("admin", Permission.READ_AUDIT_LOG)
    assert allows("admin", Permission.READ_ALL_DOCUMENTS)
    assert not allows("ops", Permission.READ_DOCUMENTS) and allows("ops", Permission.VIEW_KIOSKS)
    assert allows("counsellor", Permission.READ_DOCUMENTS)
    assert not allows("counsellor", Permission.READ_ALL_DOCUMENTS)
    desk = {Permission.CHECK_RECEIPTS, Permission.ANSWER_HELP_CALLS}
    assert {p for p in Permission if allows("desk", p)} == desk
    assert allows("admin", Permission.ANSWER_HELP_CALLS)
    assert not allows("root", Permission.CHECK_RECEIPTS) and len(Role) == 4


def test_both_languages_have_every_text() -> None:
    assert CATALOG["de"].keys() == CATALOG["en"].keys()


def test_staff_cli_adds_lists_and_disables(tmp_path: Path) -> None:
    data = str(tmp_path / "data")

    def add(user: str, password: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "jobcentre.cli", "staff", "add", "--data", data, "--user",
             user, "--role", "ops", "--password-stdin"],
            input=password + "\n", capture_output=True, text=True, timeout=60, check=False)

    assert add("otto", PASSWORD).returncode == 0
    short = add("olga", "short")
    assert short.returncode == 2 and "at least 12" in short.stderr
    assert add("otto", PASSWORD).returncode == 2
    listing = run_cli("staff", "list", "--data", data)
    assert "otto" in listing.stdout and "active" in listing.stdout
    assert PASSWORD not in listing.stdout
    assert run_cli("staff", "disable", "--data", data, "--user", "otto").returncode == 0
    assert run_cli("staff", "disable", "--data", data, "--user", "otto").returncode == 1
    assert "disabled" in run_cli("staff", "list", "--data", data).stdout
