"""The app shell: build without a model, tabs per role, account and admin handlers, `sparring user`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner
from webtest_support import PASSWORD, Org

from simulator.config import Settings
from simulator.services.app_services import AppServices
from simulator.services.passwords import Passwords, fast_hasher
from simulator.session import PracticeService
from simulator.web import account_page, admin_page


def test_the_app_builds_without_loading_a_model(settings: Settings) -> None:
    from simulator.web.app import build_demo

    def no_model(_: Settings) -> Any:
        raise AssertionError("a model was loaded while building the page")

    with PracticeService.open(settings, llm_factory=no_model) as practice:
        demo = build_demo(AppServices.build(practice, passwords=Passwords(fast_hasher())))
        assert demo is not None


def test_each_role_sees_its_tabs(services: AppServices, org: Org) -> None:
    assert account_page.visible_tabs(services, org.rep) == (
        ["home", "practice", "history", "progress", "reviews", "assignments", "account"],
        "home",  # the Home tab, which says what to do next, opens after sign-in
    )
    cohort = services.cohorts.create_cohort(org.admin, "Starters")
    services.cohorts.add_member(org.admin, cohort.id, org.rep.id)
    assert "cohort" in account_page.visible_tabs(services, org.rep)[0]
    manager_tabs = account_page.visible_tabs(services, org.manager)[0]
    assert "team" in manager_tabs and "studio" in manager_tabs and "admin" not in manager_tabs
    assert {"team", "studio", "admin"} <= set(account_page.visible_tabs(services, org.admin)[0])


def test_a_one_time_password_shows_only_the_account_tab_until_changed(
    services: AppServices, org: Org, tmp_path: Path
) -> None:
    user, otp = services.accounts.create_user("newrep", display_name="<i>New</i> Rep", actor=org.admin)
    assert otp
    assert account_page.visible_tabs(services, user) == (["account"], "account")
    header = account_page.header_markdown(services, user)
    assert "one-time password" in header and "<i>" not in header and "&lt;i&gt;" in header
    assert "differ" in account_page.change_password(
        services, user, otp, "new passphrase 1", "other", tmp_path
    )
    assert "at least 12" in account_page.change_password(services, user, otp, "short", "short", tmp_path)
    assert "✓" in account_page.change_password(
        services, user, otp, "new passphrase 1", "new passphrase 1", tmp_path
    )
    assert account_page.visible_tabs(services, user)[1] == "home"


def test_admin_forms(services: AppServices, org: Org) -> None:
    status, otp = admin_page.create_user(
        services, org.admin, "lena", "<script>x</script>", "rep", org.team_id, False, None
    )
    assert status.startswith("✓") and otp and "<script>" not in status
    assert admin_page.create_user(services, org.admin, "lena", "", "rep", None, False, None)[0].startswith(
        "⚠"
    )
    assert admin_page.create_user(services, org.manager, "zed", "", "rep", None, False, None)[0].startswith(
        "⚠"
    )
    assert admin_page.create_team(services, org.admin, "  ").startswith("⚠")
    assert admin_page.create_team(services, org.admin, "North").startswith("✓")
    assert "YYYY-MM-DD" in admin_page.create_cohort(services, org.admin, "C1", "soon", "rotation", [])
    assert admin_page.create_cohort(
        services, org.admin, "C1", "", "weakest", ["saas-discovery-ops"]
    ).startswith("✓")
    lena = services.accounts.by_username("lena")
    assert lena is not None
    assert "Choose a team or a cohort" in admin_page.add_membership(
        services, org.admin, lena.id, None, False, None
    )
    cohort_id = admin_page.users_view(services, org.admin)[3][0][1]
    assert admin_page.add_membership(services, org.admin, lena.id, None, False, cohort_id).startswith("✓")
    rows = admin_page.users_view(services, org.admin)[0]
    lena_row = next(r for r in rows if r[0] == "lena")
    assert lena_row[3] == "East" and lena_row[4] == "C1" and lena_row[5] == "must change password"
    status, new_otp = admin_page.reset_password(services, org.admin, lena.id)
    assert status.startswith("✓") and new_otp and new_otp != otp
    assert admin_page.set_disabled(services, org.admin, lena.id, True).startswith("✓")
    assert services.accounts.authenticate("lena", new_otp) is None
    with pytest.raises(Exception, match="admin"):
        admin_page.users_view(services, org.manager)


def test_sparring_user_add(settings: Settings) -> None:
    from simulator.cli import app
    from simulator.services.user_admin import open_admin

    runner = CliRunner()
    result = runner.invoke(
        app, ["user", "add", "Mia", "--role", "manager", "--team", "East", "--name", "Mia M"]
    )
    assert result.exit_code == 0, result.output
    assert "created mia (manager, team 'East')" in result.output and "one-time password:" in result.output
    result = runner.invoke(
        app,
        ["user", "add", "rita", "--team", "East", "--cohort", "Nov", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "one-time" not in result.output
    assert runner.invoke(app, ["user", "add", "rita"]).exit_code == 2
    bad = runner.invoke(app, ["user", "add", "zed", "--role", "owner"])
    assert bad.exit_code == 2
    assert runner.invoke(app, ["user", "reset-password", "mia"]).exit_code == 0
    listing = runner.invoke(app, ["user", "list"])
    assert "mia" in listing.output and "No admin account" in listing.output
    with open_admin(settings) as admin:
        mia = admin.accounts.by_username("mia")
        rita = admin.accounts.authenticate("rita", PASSWORD)
        assert mia is not None and rita is not None
        east = admin.teams.by_name("East")
        assert east is not None and mia.id in {
            u.id for u in admin.teams.members(mia, east.id, include_managers=True)
        }
        assert [c.name for c in admin.cohorts.cohorts_of(rita.id)] == ["Nov"]
