"""Item 2: per-username and per-IP exponential backoff over HTTP, never a lockout of the owner;
X-Forwarded-For believed only from trusted proxies."""

from __future__ import annotations

import time

import pytest
from security_support import SecApp
from webtest_support import PASSWORD

from simulator.services.login_guard import IP_FREE_FAILURES, USER_FREE_FAILURES


@pytest.mark.usefixtures("no_pause")
def test_wrong_passwords_slow_a_username_down_exponentially(sec: SecApp) -> None:
    user, _ = sec.user()
    attacker = sec.client("203.0.113.50")
    for _ in range(USER_FREE_FAILURES):
        assert attacker.sign_in(user.username, "not-it").status_code == 401
    waits = []
    for _ in range(4):
        refused = sec.client("192.0.2.10").sign_in(user.username, PASSWORD)  # even the right password waits
        assert refused.status_code == 429
        waits.append(int(refused.headers["retry-after"]))
        sec.clock.advance(waits[-1])
        assert attacker.sign_in(user.username, "not-it").status_code == 401  # checked, and wrong again
    assert waits == [1, 2, 4, 8]


@pytest.mark.usefixtures("no_pause")
def test_an_attacker_cannot_keep_the_owner_out(sec: SecApp) -> None:
    user, _ = sec.user()
    owner_home = sec.client("198.51.100.60").signed_in(user.username, PASSWORD)  # her usual machine
    attacker = sec.client("203.0.113.61")
    guard = sec.services.accounts.guard
    cap = sec.services.accounts.policy.user_max_wait_s
    assert cap == sec.settings.signin_user_max_wait_s == 30
    for _ in range(30):  # a patient attacker: every guess waits out the backoff, so every one is checked
        sec.clock.advance(guard.status(user.username, "203.0.113.61").wait_s)
        assert attacker.sign_in(user.username, "guess").status_code == 401
    # from a fresh IP the owner waits at most the cap, however long the attack went on...
    fresh = sec.client("192.0.2.62")
    refused = fresh.sign_in(user.username, PASSWORD)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) <= cap
    # ...and guesses thrown in meanwhile are refused unchecked and do not extend her wait
    for _ in range(5):
        sec.clock.advance(cap / 6)
        assert attacker.sign_in(user.username, "guess").status_code == 429
    sec.clock.advance(cap / 6 + 0.01)
    assert fresh.sign_in(user.username, PASSWORD).status_code == 303
    # at her usual machine she is not held up at all, even in the middle of an attack
    for _ in range(USER_FREE_FAILURES + 3):
        sec.clock.advance(guard.status(user.username, "203.0.113.61").wait_s)
        attacker.sign_in(user.username, "guess")
    assert sec.client("192.0.2.63").sign_in(user.username, PASSWORD).status_code == 429
    assert sec.client("198.51.100.60").sign_in(user.username, PASSWORD).status_code == 303
    assert owner_home.is_signed_in()


@pytest.mark.usefixtures("no_pause")
def test_wrong_passwords_slow_an_ip_down_across_usernames(sec: SecApp) -> None:
    victim, _ = sec.user()
    sprayer = sec.client("203.0.113.70")
    for n in range(IP_FREE_FAILURES):  # one guess per name: no username backoff
        assert sprayer.sign_in(f"name{n}", "Summer2024!").status_code == 401
    refused = sprayer.sign_in(victim.username, PASSWORD)
    assert refused.status_code == 429
    assert sec.client("203.0.113.71").sign_in(victim.username, PASSWORD).status_code == 303  # another IP: fine
    sec.clock.advance(int(refused.headers["retry-after"]))
    assert sprayer.sign_in(victim.username, PASSWORD).status_code == 303
    cap = sec.services.accounts.policy.ip_max_wait_s
    assert cap == sec.settings.signin_ip_max_wait_s


@pytest.mark.usefixtures("no_pause")
def test_x_forwarded_for_is_ignored_from_an_untrusted_peer(sec: SecApp) -> None:
    sec.web.config.trusted_proxies = ()
    victim, _ = sec.user()
    for n in range(IP_FREE_FAILURES):  # a new forged address each time: all count against the real peer
        assert sec.client(f"10.9.{n}.1").sign_in(f"spray{n}", "Summer2024!").status_code == 401
    assert sec.client("10.9.99.1").sign_in(victim.username, PASSWORD).status_code == 429


@pytest.mark.usefixtures("no_pause")
def test_x_forwarded_for_is_believed_from_a_trusted_proxy(sec: SecApp) -> None:
    victim, _ = sec.user()
    for n in range(IP_FREE_FAILURES):
        assert sec.client(f"10.8.{n}.1").sign_in(f"spray{n}", "Summer2024!").status_code == 401
    assert sec.client("10.8.99.1").sign_in(victim.username, PASSWORD).status_code == 303
    # the proxy appends the real client; an address the client forges to its left is not believed
    for n in range(IP_FREE_FAILURES):
        assert sec.client("10.8.50.1").sign_in(f"spray{n}", "Summer2024!").status_code == 401
    forged = sec.client("10.8.77.7, 10.8.50.1")
    assert forged.sign_in(victim.username, PASSWORD).status_code == 429


def test_a_failure_is_answered_only_after_a_pause(sec: SecApp) -> None:
    user, _ = sec.user()
    browser = sec.client("198.51.100.80")
    started = time.monotonic()
    assert browser.sign_in(user.username, "nope").status_code == 401
    assert time.monotonic() - started >= 0.25
