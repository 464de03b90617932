"""Errors the grader shows to users: each says what is wrong and how to fix it."""

from __future__ import annotations

from collections.abc import Sequence

from simulator.errors import SparringError


class TranscriptError(SparringError):
    """A transcript that cannot be graded (empty, too big, not UTF-8, one speaker, bad JSON)."""


class RepSpeakerError(TranscriptError):
    """The rep's speaker is missing or unknown; the message lists the speakers found."""

    def __init__(self, message: str, speakers: Sequence[str]) -> None:
        super().__init__(message)
        self.speakers = list(speakers)
