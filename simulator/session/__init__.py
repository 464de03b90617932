"""One conversation path: typed events, one runner, one service, one fold (docs/architecture.md)."""

from simulator.session.events import Event, Reply, fold
from simulator.session.permissions import Actor
from simulator.session.runner import ConversationRunner, RunResult
from simulator.session.service import DIFFICULTIES, PracticeService, SessionEndHook, SessionView

__all__ = [
    "DIFFICULTIES",
    "Actor",
    "ConversationRunner",
    "Event",
    "PracticeService",
    "Reply",
    "RunResult",
    "SessionEndHook",
    "SessionView",
    "fold",
]
