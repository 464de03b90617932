"""Errors users see. Each message says what is wrong and how to fix it."""

from __future__ import annotations

from collections.abc import Sequence


class SparringError(Exception):
    """Base for errors shown to users as a clear message (never a traceback)."""


class ContentError(SparringError):
    """A persona, scenario or rubric file is invalid. The message names the file and field."""


class UnknownIdError(SparringError, KeyError):
    """An id that does not exist; the message lists the valid ones."""

    def __init__(self, kind: str, given: str, valid: Sequence[str]) -> None:
        self.kind, self.given, self.valid = kind, given, list(valid)
        listing = ", ".join(self.valid) if self.valid else "(none)"
        super().__init__(f"unknown {kind} id {given!r}; valid {kind} ids: {listing}")

    def __str__(self) -> str:
        return str(self.args[0])


class InvalidMessageError(SparringError):
    """A rep message that cannot be accepted (empty, too long). Nothing is lost."""


class SessionStateError(SparringError):
    """The session cannot take this action now (ended, busy, not found, not yours)."""


class PermissionDeniedError(SparringError):
    """The signed-in user may not see or change this."""
