"""Sign-in for the web app: Gradio's login form, checked by the accounts service.

``launch(auth=make_auth(services))`` gives Gradio an async callable: the password check (argon2,
~50 ms) runs in a worker thread, and a failure is answered only after a pause that grows with
recent failures; after repeated failures the accounts service refuses without checking at all.
Handlers then map ``request.username`` back to the account with :func:`current_user`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from simulator.errors import PermissionDeniedError
from simulator.services.access import User
from simulator.services.accounts import FirstStart
from simulator.services.app_services import AppServices

log = logging.getLogger(__name__)

AuthCallable = Callable[[str, str], Coroutine[Any, Any, bool]]


def make_auth(services: AppServices) -> AuthCallable:
    """The ``auth=`` callable for ``demo.launch``: True only for right, enabled credentials."""

    async def check(username: str, password: str) -> bool:
        user = await asyncio.to_thread(services.accounts.authenticate, username or "", password or "")
        if user is None:
            failures = services.accounts.guard.status(username or "").failures
            await asyncio.sleep(services.accounts.guard.pause(failures))
            log.info("sign-in refused for %r (%d recent failures)", (username or "")[:64], failures)
            return False
        return True

    return check


def current_user(services: AppServices, request: object) -> User:
    """The signed-in account behind a Gradio request.

    Raises:
        PermissionDeniedError: nobody is signed in, or the account is gone or disabled.
    """
    username = getattr(request, "username", None) if request is not None else None
    user = services.accounts.by_username(username) if username else None
    if user is None or user.disabled:
        raise PermissionDeniedError("You are not signed in (or your account was disabled). Reload the page.")
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
