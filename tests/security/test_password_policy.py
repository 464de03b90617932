"""Item 3: at least 12 characters, no common passwords, never containing the username — over HTTP."""

from __future__ import annotations

import pytest
from security_support import SecApp
from webtest_support import PASSWORD

from simulator.services.passwords import PasswordRuleError, check_new_password, common_passwords

REFUSED = [
    ("password12", "at least 12"),  # the review's examples
    ("1234567890", "at least 12"),
    ("password1234", "one of the most common passwords"),
    ("qwertyuiop123", "one of the most common passwords"),
    ("iloveyou2024", "guess"),
    ("aaaaaaaaaaaaaaaa", "guess"),
    ("abcdefghijklmnop", "guess"),
]


@pytest.mark.parametrize(("new", "reason"), REFUSED)
def test_weak_passwords_are_refused_over_http(sec: SecApp, new: str, reason: str) -> None:
    user, _ = sec.user()
    browser = sec.client("198.51.100.31").signed_in(user.username, PASSWORD)
    response = browser.change_password(PASSWORD, new)
    assert response.status_code == 400 and reason in response.text
    assert sec.services.accounts.authenticate(user.username, PASSWORD) is not None  # unchanged


def test_a_password_containing_the_username_is_refused(sec: SecApp) -> None:
    user, _ = sec.user()
    browser = sec.client("198.51.100.32").signed_in(user.username, PASSWORD)
    response = browser.change_password(PASSWORD, f"Blue {user.username.upper()} harbour 77")
    assert response.status_code == 400 and "username" in response.text


def test_a_strong_passphrase_is_accepted(sec: SecApp) -> None:
    user, _ = sec.user()
    browser = sec.client("198.51.100.33").signed_in(user.username, PASSWORD)
    response = browser.change_password(PASSWORD, "velvet tractor mango quietly")
    assert response.status_code == 303
    assert sec.services.accounts.authenticate(user.username, "velvet tractor mango quietly") is not None


def test_the_list_is_the_maintained_one_and_applies_to_new_accounts() -> None:
    assert len(common_passwords()) >= 30_000 - 100 and "password" in common_passwords()
    for common in ("baseball1234", "trustno1trustno1", "123qweasdzxc"):
        with pytest.raises(PasswordRuleError):
            check_new_password(common, username="someone")
