"""Who is signed in, for the Gradio handlers, and the first-start banner.

Sign-in itself is served by ``simulator/web/signin.py`` behind ``simulator/web/security.py``:
the middleware resolves the session cookie on every request and hands Gradio the username
(``auth_dependency``). Handlers map ``request.username`` back to the account with
:func:`current_user`, which refuses again (defence in depth) disabled accounts and users who
still hold a one-time password.
"""

from __future__ import annotations

import logging
from pathlib import Path

from simulator.errors import PermissionDeniedError
from simulator.services.access import User
from simulator.services.accounts import FirstStart
from simulator.services.app_services import AppServices

log = logging.getLogger(__name__)


def current_user(services: AppServices, request: object) -> User:
    """The signed-in account behind a Gradio request.

    Raises:
        PermissionDeniedError: nobody is signed in, the account is gone or disabled, or it still
            has a one-time password (only the password page may be used then).
    """
    username = getattr(request, "username", None) if request is not None else None
    user = services.accounts.by_username(username) if username else None
    if user is None or user.disabled:
        raise PermissionDeniedError("You are not signed in (or your account was disabled). Reload the page.")
    if services.accounts.must_change_password(user.id):
        raise PermissionDeniedError("Choose your own password first (at /account/password), then reload the page.")
    return user


def first_start_banner(first: FirstStart) -> str:
    """What the console prints when the first admin was just created."""
    line = "=" * 72
    return (
        f"\n{line}\nSparring: first start. An admin account was created.\n"
        f"  username:           {first.username}\n"
        f"  one-time password:  {first.password}\n"
        f"  (also written to {first.path}, readable only by you)\n"
        "Sign in with it; you will be asked to choose a new password.\n"
        "Then create accounts on the Admin tab, or with `sparring user add NAME --role rep`.\n"
        f"{line}\n"
    )


def ensure_first_admin(services: AppServices, data_dir: Path) -> str | None:
    """Create the first admin on an empty store; return the console banner (None otherwise)."""
    first = services.accounts.ensure_first_admin(data_dir)
    return first_start_banner(first) if first is not None else None
