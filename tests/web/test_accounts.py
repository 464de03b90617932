"""Accounts: hashed passwords, sign-in without hints, the slow-down, first start, password changes.

The same protections over HTTP: tests/security/."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from sqlalchemy import select
from webtest_support import PASSWORD, Clock, Org

from simulator.errors import PermissionDeniedError
from simulator.services.accounts import FIRST_PASSWORD_FILE, AccountError
from simulator.services.app_services import AppServices
from simulator.services.login_guard import FREE_FAILURES
from simulator.services.passwords import PasswordRuleError
from simulator.store.schema import sign_in_attempts, users
from simulator.web import auth


def test_passwords_are_stored_as_argon2_hashes(services: AppServices, org: Org) -> None:
    with services.practice.store.engine.connect() as conn:
        digests = list(conn.execute(select(users.c.password_hash)).scalars())
    assert digests and all(d.startswith("$argon2id$") for d in digests)
    assert not any(PASSWORD in d for d in digests)


def test_sign_in_gives_no_hint_which_part_was_wrong(services: AppServices, org: Org) -> None:
    accounts = services.accounts
    assert accounts.authenticate("rita", PASSWORD) == org.rep
    assert accounts.authenticate("RITA ", PASSWORD) == org.rep  # usernames are case-insensitive
    assert accounts.authenticate("rita", "wrong password") is None
    assert accounts.authenticate("nobody", PASSWORD) is None
    assert accounts.authenticate("", "") is None
    assert accounts.authenticate("rita", "x" * 5000) is None
    # unknown names are recorded like known ones, so the table reveals nothing either
    with services.practice.store.engine.connect() as conn:
        names = set(conn.execute(select(sign_in_attempts.c.username)).scalars())
    assert {"rita", "nobody"} <= names


def test_repeated_failures_slow_sign_in_down_without_locking_out(
    services: AppServices, org: Org, clock: Clock
) -> None:
    accounts = services.accounts
    for _ in range(FREE_FAILURES):
        assert accounts.authenticate("rita", "guess", ip="203.0.113.9") is None
    status = accounts.guard.status("rita", "203.0.113.9")
    assert status.failures == FREE_FAILURES and status.blocked and status.wait_s <= 1
    # while throttled even the right password is refused, without being checked...
    result = accounts.check_credentials("rita", PASSWORD, ip="198.51.100.7")
    assert result.status == "throttled" and result.user is None
    # ...but refused attempts do not extend the wait, so the owner gets in once it has passed
    for _ in range(50):
        accounts.check_credentials("rita", "guess", ip="203.0.113.9")
    clock.advance(1.01)
    assert accounts.authenticate("rita", PASSWORD, ip="198.51.100.7") == org.rep
    assert not accounts.guard.status("rita").blocked
    # other accounts are not affected
    assert accounts.authenticate("rob", PASSWORD) == org.rep2


def test_the_username_backoff_is_capped_and_spares_known_ips(services: AppServices, org: Org, clock: Clock) -> None:
    accounts = services.accounts
    assert accounts.authenticate("rita", PASSWORD, ip="198.51.100.7") == org.rep  # her usual machine
    for n in range(12):  # a slow, distributed guesser: each guess waits out the backoff
        status = accounts.guard.status("rita", f"203.0.113.{n}")
        assert status.wait_s <= accounts.policy.user_max_wait_s
        clock.advance(status.wait_s + 0.01)
        assert accounts.authenticate("rita", "guess", ip=f"203.0.113.{n}") is None
    assert accounts.guard.status("rita", "192.0.2.1").wait_s == pytest.approx(accounts.policy.user_max_wait_s, abs=0.1)
    assert not accounts.guard.status("rita", "198.51.100.7").blocked
    assert accounts.authenticate("rita", PASSWORD, ip="198.51.100.7") == org.rep


def test_disabled_accounts_cannot_sign_in(services: AppServices, org: Org) -> None:
    services.accounts.set_disabled(org.admin, org.rep.id, True)
    assert services.accounts.authenticate("rita", PASSWORD) is None
    with pytest.raises(PermissionDeniedError):
        services.accounts.set_disabled(org.admin, org.admin.id, True)


def test_first_start_creates_an_admin_with_a_one_time_password(services: AppServices, tmp_path: Path) -> None:
    first = services.accounts.ensure_first_admin(tmp_path)
    assert first is not None and first.username == "admin"
    assert stat.S_IMODE(first.path.stat().st_mode) == 0o600
    assert first.password in first.path.read_text()
    assert services.accounts.ensure_first_admin(tmp_path) is None  # only once
    admin = services.accounts.authenticate("admin", first.password)
    assert admin is not None and admin.is_admin
    assert services.accounts.must_change_password(admin.id)
    banner = auth.first_start_banner(first)
    assert first.password in banner and "admin" in banner
    with pytest.raises(AccountError, match="current password"):
        services.accounts.change_password(admin, "wrong", "a brand new passphrase", data_dir=tmp_path)
    with pytest.raises(PasswordRuleError, match="at least 12"):
        services.accounts.change_password(admin, first.password, "short", data_dir=tmp_path)
    services.accounts.change_password(admin, first.password, "a brand new passphrase", data_dir=tmp_path)
    assert not services.accounts.must_change_password(admin.id)
    assert not (tmp_path / FIRST_PASSWORD_FILE).exists()
    assert services.accounts.authenticate("admin", first.password) is None
    assert services.accounts.authenticate("admin", "a brand new passphrase") is not None


def test_first_start_also_runs_when_accounts_exist_but_no_admin(
    services: AppServices, tmp_path: Path
) -> None:
    services.accounts.create_user("rep1", password=PASSWORD)
    first = services.accounts.ensure_first_admin(tmp_path)
    assert first is not None and first.username == "admin"


def test_only_admins_create_accounts_and_bad_values_are_explained(services: AppServices, org: Org) -> None:
    with pytest.raises(PermissionDeniedError):
        services.accounts.create_user("newbie", actor=org.manager)
    with pytest.raises(AccountError, match="taken"):
        services.accounts.create_user("Rita", actor=org.admin)
    with pytest.raises(AccountError, match="2-64 characters"):
        services.accounts.create_user("<script>", actor=org.admin)
    with pytest.raises(AccountError, match="role"):
        services.accounts.create_user("newbie", role="owner", actor=org.admin)
    with pytest.raises(AccountError, match="display name"):
        services.accounts.create_user("newbie", display_name="x" * 500, actor=org.admin)
    user, otp = services.accounts.create_user("newbie", display_name="<b>New</b>", actor=org.admin)
    assert otp and services.accounts.must_change_password(user.id)
    otp2 = services.accounts.reset_password(org.admin, "newbie")
    assert otp2 != otp and services.accounts.authenticate("newbie", otp2) is not None
    with pytest.raises(PermissionDeniedError):
        services.accounts.reset_password(org.manager, "newbie")
    with pytest.raises(PermissionDeniedError):
        services.accounts.set_role(org.admin, org.admin.id, "rep")


def test_an_expired_unused_first_admin_password_is_renewed_at_the_next_start(
    services: AppServices, tmp_path: Path, clock: Clock
) -> None:
    first = services.accounts.ensure_first_admin(tmp_path)
    assert first is not None
    assert services.accounts.ensure_first_admin(tmp_path) is None  # still valid: nothing to do
    clock.advance(services.accounts.policy.otp_ttl_s + 1)
    assert services.accounts.check_credentials("admin", first.password).status == "expired"
    renewed = services.accounts.ensure_first_admin(tmp_path)
    assert renewed is not None and renewed.username == "admin" and renewed.password != first.password
    assert renewed.password in (tmp_path / FIRST_PASSWORD_FILE).read_text()
    assert services.accounts.check_credentials("admin", renewed.password).ok
    # once the admin has chosen a password, an expiry elsewhere renews nothing
    admin = services.accounts.by_username("admin")
    assert admin is not None
    services.accounts.change_password(admin, renewed.password, "a brand new passphrase", data_dir=tmp_path)
    clock.advance(services.accounts.policy.otp_ttl_s + 1)
    assert services.accounts.ensure_first_admin(tmp_path) is None
