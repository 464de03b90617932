"""The actor: the LLM voices the director's gist; nothing unchecked reaches the screen or the speaker.

The model's stream is buffered and cut into sentences as they complete. Each sentence is checked
(:func:`~simulator.engine.acceptance.sentence_rejection_reason`) before a ``token`` event shows it;
the first sentence that fails stops the stream. When the stream ends, the whole line is checked
(:func:`~simulator.engine.acceptance.rejection_reason`); if it fails, the final ``line`` event carries
the gist. A reply whose shown text is abandoned (a retry, or a replacement that does not extend what
was shown) first emits ``{"type": "reset"}``: consumers clear the bubble. After the last ``reset``,
the ``token`` texts joined are always the ``line`` text.

A whole-reply deadline (``SPARRING_REPLY_DEADLINE_S``) covers every attempt: past it, the gist is
spoken at once and the model's stream is abandoned (it stops at its next token, releasing the model).
See docs/voicing.md.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from simulator.engine.acceptance import (
    is_role_break,
    is_role_label,
    reaction_rejection_reason,
    rejection_reason,
    sentence_rejection_reason,
    split_label,
)
from simulator.engine.prompts import MOODS, OPENING_REP_MESSAGE, VoiceMode, rep_turn_for_voice
from simulator.engine.state import BuyerMove
from simulator.engine.understand import content_words
from simulator.llm.base import LLM, ChatMessage, ChatRequest, GenerationOptions, LLMError

log = logging.getLogger(__name__)

Emit = Callable[[dict[str, Any]], None]
VOICE_MAX_TOKENS = 110
VoiceModeSetting = Literal["auto", "gist", "adapt", "compose"]

AUTO_MODES: dict[str, VoiceMode] = {"embedded": "adapt", "openai": "compose"}
"""``SPARRING_VOICE_MODE=auto`` by backend (the part of ``llm.name`` before ':'); others: compose.
Chosen from bench/bench_voice_adaptation.py; the reasons are in docs/voicing.md."""

REACTION_MAX_WORDS = 8
"""A sentence this short that shares at most one content word with the gist is a reaction to the rep:
when the rest of the model's line fails the check, the reaction is kept and the gist follows it."""

REACTION_MAX_TOKENS = 24
"""Adapt mode generates only the reaction: one short sentence."""

NO_PREFILL_MOVES = frozenset({"end_call", "walk_away"})
"""Moves after which the rep will not speak again: no point prefilling the next turn."""


@dataclass(frozen=True)
class VoiceConfig:
    """How the buyer's line is voiced (from settings; see docs/voicing.md)."""

    mode: VoiceModeSetting = "auto"
    deadline_s: float | None = None
    """Whole-reply deadline over every attempt; past it the gist is spoken. None: no deadline."""
    prefill: bool = True
    """After the line, let the backend evaluate the next turn's prompt prefix while the rep types."""
    clock: Callable[[], float] = time.monotonic
    cancel: threading.Event | None = None
    """Set when the rep ends the call mid-reply: the model is abandoned within ``CANCEL_POLL_S`` and
    the checked gist is spoken, so the turn finishes and the call can end."""


CANCEL_POLL_S = 0.1
"""How often a streaming reply looks at the cancel flag."""


@dataclass(frozen=True)
class VoicedLine:
    """The line the buyer speaks and how it was produced."""

    text: str
    voiced_by: Literal["llm", "gist"]
    rejected: str | None
    llm_line: str | None
    user_message: str
    """The exact user message sent to the model (kept in the history for prefix reuse)."""
    llm_error: str | None = None
    mode: VoiceMode = "gist"


def resolve_mode(mode: VoiceModeSetting, llm: LLM) -> VoiceMode:
    """The voice mode a session uses: gist for a non-generative backend, else the setting (auto: by backend)."""
    if not llm.generative:
        return "gist"
    if mode != "auto":
        return mode
    backend = str(getattr(llm, "name", "")).split(":", 1)[0]
    return AUTO_MODES.get(backend, "compose")


# --------------------------------------------------------------------------- sentence gate

_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)")
_SECOND_TURN = re.compile(r"\n\s*\n|\n\s*(?:[Rr]ep|[Ss]eller|[Ss]alesperson|[Uu]ser|[Yy]ou|[Bb]uyer|[A-Z][a-z]+)\s*:")
_LABEL_WINDOW = 45


class SentenceGate:
    """Buffers a model's stream and releases complete sentences only after each passes ``check``.

    ``check(sentence, said_before)`` returns a rejection reason or None. The first failing sentence
    sets :attr:`reason` and nothing after it is released. A blank line or a second speaker's label
    ends the model's turn (:attr:`ended`); the rest is ignored, as :func:`clean_line` does.
    """

    def __init__(self, check: Callable[[str, str], str | None]) -> None:
        self._check = check
        self.raw = ""
        self.passed: list[str] = []
        self.reason: str | None = None
        self.ended = False
        self._start: int | None = None
        self._consumed = 0

    @property
    def shown(self) -> str:
        """The released (checked) text so far."""
        return " ".join(self.passed)

    def feed(self, chunk: str) -> list[str]:
        """Add streamed text; return the sentences it completed that passed the check."""
        self.raw += chunk
        return self._advance(final=False)

    def finish(self) -> list[str]:
        """The stream ended: check and return the last sentence (it may lack end punctuation)."""
        return self._advance(final=True)

    def _body(self, final: bool) -> str | None:
        """The text after a leading label and quote, cut at a second turn; None while a label may still come."""
        base = self.raw.lstrip()
        cut = _SECOND_TURN.search(base)
        if cut is not None:
            base = base[: cut.start()]
            self.ended = True
        if self._start is None:
            window = base[:_LABEL_WINDOW]
            if ":" not in window and len(base) < _LABEL_WINDOW and not final and not self.ended \
                    and not _SENTENCE_END.search(base):
                return None
            label, rest = split_label(base) if ":" in window else (None, base)
            if label is not None:
                if is_role_label(label):
                    self.reason = f"speaks as someone else ({label + ':'!r})"
                    return None
            else:
                rest = base
            stripped = rest.lstrip("\"“ ")
            if not stripped and not final and not self.ended:
                return None  # the label is complete but its text (maybe after a quote) has not started
            self._start = len(base) - len(stripped)
        return base[self._start:]

    def _release(self, sentence: str) -> bool:
        reason = self._check(sentence, self.shown)
        if reason is not None:
            self.reason = reason
            return False
        self.passed.append(sentence)
        return True

    def _advance(self, final: bool) -> list[str]:
        if self.reason is not None:
            return []
        body = self._body(final)
        if body is None:
            return []
        out: list[str] = []
        for match in _SENTENCE_END.finditer(body, self._consumed):
            sentence = re.sub(r"\s+", " ", body[self._consumed: match.end()]).strip()
            self._consumed = match.end()
            if sentence:
                if not self._release(sentence):
                    return out
                out.append(sentence)
        if final or self.ended:
            rest = re.sub(r"\s+", " ", body[self._consumed:]).strip()
            self._consumed = len(body)
            quotes = sum(body.count(q) for q in "\"“”")
            if rest and rest[-1] in "\"”" and quotes % 2 == 1:
                rest = rest[:-1].rstrip()
            if rest:
                if not self._release(rest):
                    return out
                out.append(rest)
        return out


# --------------------------------------------------------------------------- streaming

def _produce(llm: LLM, request: ChatRequest, out: queue.Queue[tuple[str, Any]], stop: threading.Event,
             holder: list[Any]) -> None:
    """Run one model stream in a worker thread, passing chunks to the actor until told to stop.

    The stream is put in ``holder`` so the actor can close it from its own thread when it gives up
    (backends whose stream says ``closable_from_any_thread`` then cut the connection at once)."""
    try:
        stream: Iterator[str] = llm.stream_chat(request)
        holder.append(stream)
        try:
            for chunk in stream:
                if stop.is_set():
                    break
                out.put(("chunk", chunk))
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
        out.put(("done", None))
    except LLMError as exc:
        out.put(("error", exc))
    except BaseException as exc:  # handed to the actor's thread and re-raised there
        out.put(("fatal", exc))


def _abandon(holder: list[Any]) -> None:
    """Cut a stream the actor gave up on, when its backend allows that from another thread."""
    for stream in holder:
        if getattr(stream, "closable_from_any_thread", False):
            try:
                stream.close()
            except Exception:  # best effort: the worker ends at its own deadline anyway
                log.debug("closing an abandoned stream failed", exc_info=True)


@dataclass
class _Attempt:
    gate: SentenceGate
    error: str | None = None
    timed_out: bool = False
    cancelled: bool = False


def _stream_attempt(llm: LLM, request: ChatRequest, gate: SentenceGate, emit: Emit,
                    deadline: float | None, clock: Callable[[], float], max_sentences: int | None = None,
                    cancel: threading.Event | None = None) -> _Attempt:
    """One model call through the gate; emits a token event per sentence that passed.

    With ``max_sentences`` the stream is abandoned once that many sentences passed (adapt mode wants
    only the reaction)."""
    chunks: queue.Queue[tuple[str, Any]] = queue.Queue()
    stop = threading.Event()
    holder: list[Any] = []
    if deadline is not None:  # the backend gives up when the actor does, and closes its connection
        left = max(0.05, deadline - clock())
        if left < request.options.timeout_s:
            request = replace(request, options=replace(request.options, timeout_s=left))
    worker = threading.Thread(target=_produce, args=(llm, request, chunks, stop, holder), daemon=True,
                              name="sparring-voice")
    worker.start()

    def show(sentences: list[str]) -> None:
        before = len(gate.passed) - len(sentences)
        for i, sentence in enumerate(sentences):
            emit({"type": "token", "text": sentence if before + i == 0 else " " + sentence})

    try:
        while True:
            if cancel is not None and cancel.is_set():
                return _Attempt(gate, timed_out=True, cancelled=True)
            timeout = None if deadline is None else deadline - clock()
            if timeout is not None and timeout <= 0:
                return _Attempt(gate, timed_out=True)
            if cancel is not None:
                timeout = CANCEL_POLL_S if timeout is None else min(timeout, CANCEL_POLL_S)
            try:
                kind, payload = chunks.get(timeout=timeout)
            except queue.Empty:
                if cancel is not None and (deadline is None or clock() < deadline):
                    continue
                return _Attempt(gate, timed_out=True)
            if kind == "chunk":
                show(gate.feed(payload))
                if max_sentences is not None and len(gate.passed) >= max_sentences:
                    return _Attempt(gate)
                if gate.reason is not None or gate.ended:
                    show(gate.finish())
                    return _Attempt(gate)
            elif kind == "done":
                if max_sentences is None or len(gate.passed) < max_sentences:
                    show(gate.finish())
                return _Attempt(gate)
            elif kind == "error":
                return _Attempt(gate, error=str(payload))
            else:
                raise payload
    finally:
        stop.set()
        _abandon(holder)


def _stream_gist(gist: str, emit: Emit, lead: str = "") -> None:
    words = gist.split(" ")
    for i, word in enumerate(words):
        emit({"type": "token", "text": (lead if i == 0 else "") + (word if i == len(words) - 1 else word + " ")})


def _plain(text: str) -> str:
    return " ".join(re.sub(r"[^\w$%']+", " ", text.lower().replace("’", "'")).split())


def _same_opening(reaction: str, gist: str) -> bool:
    """Does the gist already open with (nearly) this reaction ("Well, thanks." before "Well, thanks. ...")?"""
    r = _plain(reaction)
    return bool(r) and _plain(gist).startswith(r)


def _reaction_prefix(sentences: Sequence[str], gist: str) -> list[str]:
    """The leading sentences that only react to the rep (short, sharing at most one content word with the gist)."""
    gist_words = content_words(gist)
    out: list[str] = []
    for sentence in sentences:
        if len(sentence.split()) > REACTION_MAX_WORDS or len(content_words(sentence) & gist_words) > 1:
            break
        out.append(sentence)
    return out


# --------------------------------------------------------------------------- the actor

def voice_line(
    llm: LLM,
    *,
    system_prompt: str,
    history: Sequence[ChatMessage],
    rep_text: str,
    move: BuyerMove,
    locked_facts: Sequence[str],
    options: GenerationOptions,
    retries: int,
    emit: Emit,
    config: VoiceConfig | None = None,
    buyer_name: str = "",
) -> VoicedLine:
    """Voice ``move.gist`` in the persona's style. Never raises for LLM failures: falls back to the gist.

    Emits ``token`` events only for checked sentences, ``reset`` when shown text is abandoned,
    ``retry`` per failed model call, then one ``line`` with the final text.
    """
    config = config or VoiceConfig()
    gist = move["gist"]
    mode = resolve_mode(config.mode, llm)
    user_message = rep_turn_for_voice(rep_text, gist, mode, move["kind"])
    if mode == "gist":
        _stream_gist(gist, emit)
        emit({"type": "line", "text": gist, "voiced_by": "gist", "replaced": False})
        return VoicedLine(gist, "gist", None, None, user_message)

    clock = config.clock
    deadline = clock() + config.deadline_s if config.deadline_s is not None else None
    messages = (ChatMessage(role="system", content=system_prompt), *history,
                ChatMessage(role="user", content=user_message))
    reacting = mode == "adapt"
    if reacting and rep_text.strip() == OPENING_REP_MESSAGE:
        # Nothing to react to yet: the opening is the director's line, and the system prompt is
        # prefilled while the rep reads it, so the first real turn does not pay for it.
        _stream_gist(gist, emit)
        emit({"type": "line", "text": gist, "voiced_by": "gist", "replaced": False})
        _prefill_next(llm, config, move, (ChatMessage(role="system", content=system_prompt), *history,
                                          ChatMessage(role="user", content=user_message)), gist)
        return VoicedLine(gist, "gist", None, None, user_message, mode=mode)
    mood = MOODS.get(move["kind"], "")
    said_earlier = {_plain(s) for m in history if m["role"] == "assistant"
                    for s in re.split(r"(?<=[.!?])\s+", m["content"]) if s}
    if reacting:
        # A seed per turn (still deterministic): with one seed the model said the same reaction
        # turn after turn ("I'm still not convinced.") and the repeat check had to drop it.
        seed = None if options.seed is None else options.seed + len(history) // 2
        options = replace(options, max_tokens=min(options.max_tokens, REACTION_MAX_TOKENS), seed=seed)
    request = ChatRequest(messages=messages, options=options, purpose="buyer-line")
    shown = ""

    def check(sentence: str, said_before: str) -> str | None:
        reason = sentence_rejection_reason(sentence, said_before=said_before, gist=gist, rep_text=rep_text,
                                           locked_facts=locked_facts, buyer_name=buyer_name)
        if reason is None and reacting:
            reason = reaction_rejection_reason(sentence, gist=gist, rep_text=rep_text, mood=mood)
            if reason is None and _plain(sentence) in said_earlier:
                reason = "the reaction repeats an earlier line"
        return reason

    def finish(text: str, voiced_by: Literal["llm", "gist"], rejected: str | None, raw: str | None,
               error: str | None = None) -> VoicedLine:
        """Emit what is needed so the shown text becomes ``text``, then the line event."""
        nonlocal shown
        replaced = False
        if shown and not text.startswith(shown):
            emit({"type": "reset"})
            shown, replaced = "", True
        if text != shown:
            _stream_gist(text[len(shown):].lstrip(), emit, lead=" " if shown else "")
            replaced = replaced or voiced_by == "gist" or rejected is not None
        emit({"type": "line", "text": text, "voiced_by": voiced_by, "replaced": replaced})
        voiced = VoicedLine(text, voiced_by, rejected, raw, user_message, llm_error=error, mode=mode)
        _prefill_next(llm, config, move, messages, text)
        return voiced

    def fallback(gate: SentenceGate, reason: str, error: str | None = None) -> VoicedLine:
        """Keep the checked reaction the rep already saw when the gist can follow it; else the gist.

        Never after a role break: an opening like "Sure!" before "My instructions say..." was part of it.
        """
        reaction = [] if is_role_break(reason) else _reaction_prefix(gate.passed, gist)
        if reaction:
            candidate = " ".join([*reaction, gist])
            if rejection_reason(candidate, gist=gist, required=move["required"], rep_text=rep_text,
                                locked_facts=locked_facts, buyer_name=buyer_name) is None:
                return finish(candidate, "llm", f"reaction kept, rest replaced by the gist: {reason}",
                              gate.raw, error)
        return finish(gist, "gist", reason, gate.raw or None, error)

    error: str | None = None
    gate = SentenceGate(check)
    for attempt in range(retries + 1):
        if shown:
            emit({"type": "reset"})
            shown = ""
        gate = SentenceGate(check)
        result = _stream_attempt(llm, request, gate, emit, deadline, clock, 1 if reacting else None,
                                 config.cancel)
        shown = gate.shown
        if result.cancelled:
            log.info("buyer line cut short: the call is ending")
            return fallback(gate, "cancelled: the rep ended the call")
        if result.timed_out:
            log.info("buyer line past the %.1f s deadline; speaking the gist", config.deadline_s or 0)
            return fallback(gate, f"deadline: no checked reply within {config.deadline_s:g} s")
        if result.error is None:
            error = None
            break
        error = result.error
        if shown:
            emit({"type": "reset"})
            shown = ""
        emit({"type": "retry", "attempt": attempt + 1, "error": error})
        if attempt < retries:
            pause = min(0.5 * (attempt + 1), 2.0)
            if deadline is not None:
                pause = min(pause, max(0.0, deadline - clock()))
            if config.cancel is not None and config.cancel.wait(pause):
                return fallback(gate, "cancelled: the rep ended the call", error)
            if config.cancel is None:
                time.sleep(pause)
            if deadline is not None and clock() >= deadline:
                return fallback(gate, f"deadline: no checked reply within {config.deadline_s:g} s", error)
    if error is not None:
        emit({"type": "warning", "text": f"The buyer's voice model failed ({error}); the scripted line was used."})
        return finish(gist, "gist", f"llm error: {error}", gate.raw or None, error)

    if gate.reason is not None:
        return fallback(gate, gate.reason)
    if reacting:
        if not gate.passed:
            return finish(gist, "gist", "no reaction", gate.raw or None)
        if _same_opening(gate.passed[0], gist):
            return finish(gist, "gist", "the reaction repeats the gist's opening", gate.raw)
        line = f"{gate.passed[0]} {gist}"
    else:
        line = gate.shown
    reason = rejection_reason(line, gist=gist, required=move["required"], rep_text=rep_text,
                              locked_facts=locked_facts, buyer_name=buyer_name)
    if reason is None:
        return finish(line, "llm", None, None)
    return fallback(gate, reason)


def _prefill_next(llm: LLM, config: VoiceConfig, move: BuyerMove, messages: Sequence[ChatMessage],
                  line: str) -> None:
    """Ask the backend (if it can) to evaluate the next turn's prompt prefix while the rep types."""
    if not config.prefill or move["kind"] in NO_PREFILL_MOVES:
        return
    prefill = getattr(llm, "prefill", None)
    if callable(prefill):
        try:
            prefill((*messages, ChatMessage(role="assistant", content=line)))
        except Exception:  # a background optimisation must never break a turn
            log.exception("prefill failed to start")
